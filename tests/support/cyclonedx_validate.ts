/**
 * Validates a CycloneDX JSON document against the official 1.5 JSON schema (strict: no unknown
 * properties) with `@cyclonedx/cyclonedx-library`'s validator (ajv + ajv-formats underneath).
 */
import * as CDX from "@cyclonedx/cyclonedx-library";

const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot5);

/** Schema errors of `json` (a string or an object), or null when it is valid. */
export async function cycloneDxErrors(json: string | object): Promise<unknown> {
  return await validator.validate(typeof json === "string" ? json : JSON.stringify(json));
}

/** Whether `id` is on the SPDX licence list the CycloneDX schema uses. */
export function isSpdxId(id: string): boolean {
  return CDX.SPDX.isSupportedSpdxId(id);
}
