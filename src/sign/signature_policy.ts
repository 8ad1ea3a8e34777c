/**
 * `verify.signature: always | if-present | never` — what a missing or present `.minisig` means.
 *
 * | policy     | trusted key | signature present     | signature missing        |
 * |------------|-------------|-----------------------|--------------------------|
 * | always     | required    | verify                | VerificationError (3)    |
 * | if-present | given       | verify                | proceed, noted unsigned  |
 * | if-present | none        | not checked, warned   | proceed, noted unsigned  |
 * | never      | any         | not checked           | proceed                  |
 *
 * Default: `always` when a trusted key is configured, else `if-present`.
 */
import { UsageError, VerificationError } from "../errors.ts";

/** The policy values of `verify.signature`. */
export type SignaturePolicy = "always" | "if-present" | "never";

const POLICIES: readonly SignaturePolicy[] = ["always", "if-present", "never"];

/**
 * Validates a configured policy value.
 * @throws {UsageError} for anything but the three names.
 */
export function parseSignaturePolicy(value: unknown, source = "verify.signature"): SignaturePolicy {
  if (typeof value === "string" && (POLICIES as readonly string[]).includes(value)) {
    return value as SignaturePolicy;
  }
  throw new UsageError(
    `Cannot read ${source}: ${JSON.stringify(value)} is not one of ${POLICIES.join(", ")}`,
  );
}

/**
 * The effective policy: the configured one, else `always` with a trusted key and `if-present` without.
 * @throws {UsageError} for `always` without a trusted key.
 */
export function decideSignaturePolicy(options: {
  configured?: SignaturePolicy;
  trustedKeyConfigured: boolean;
}): SignaturePolicy {
  const policy = options.configured ?? (options.trustedKeyConfigured ? "always" : "if-present");
  if (policy === "always" && !options.trustedKeyConfigured) {
    throw new UsageError(
      'Cannot verify signatures: verify.signature is "always" but no trusted key is configured. Pass --trusted-key PUB',
    );
  }
  return policy;
}

/** What to do about one archive's signature. */
export interface SignatureDecision {
  /** True: call verifyFileSignature before reading the archive. */
  verify: boolean;
  /** A line for the user when the signature is not checked (undefined when verifying or policy never). */
  note?: string;
}

/**
 * Decides for one archive, given the effective policy and whether its `.minisig` exists.
 * @throws {VerificationError} when the policy is `always` and the signature is missing.
 */
export function signatureDecision(
  policy: SignaturePolicy,
  options: { archive: string; signaturePresent: boolean; trustedKeyConfigured: boolean },
): SignatureDecision {
  if (policy === "never") return { verify: false };
  if (!options.signaturePresent) {
    if (policy === "always") {
      throw new VerificationError(
        `Cannot verify "${options.archive}": its signature "${options.archive}.minisig" is missing and ` +
          `verify.signature is "always". Copy the .minisig beside the archive`,
        { entry: `${options.archive}.minisig` },
      );
    }
    return { verify: false, note: `archive is not signed: authenticity not checked` };
  }
  if (!options.trustedKeyConfigured) {
    return { verify: false, note: `signature present but no trusted key given (--trusted-key): not checked` };
  }
  return { verify: true };
}
