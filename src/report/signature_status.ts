import { existsSync } from "node:fs";
import { basename } from "node:path";
import { verifyFileSignature } from "../sign/mod.ts";
import type { SignatureStatus } from "./report_model.ts";

/** Options of {@link signatureStatus}. */
export interface SignatureStatusOptions {
  /** Path of the trusted minisign public key (`--trusted-key`). Without it a signature is not checked. */
  trustedKeyPath?: string;
}

/**
 * Looks for `<archive>.minisig` beside the archive: absent → `unsigned`; present without a trusted key →
 * `unverified`; present with one → verified (key id and trusted comment) or an error. Reads only the raw
 * archive bytes, so call it before anything decompresses the archive.
 * @throws VerificationError (exit 3) for a signature that does not verify against the trusted key;
 *   UsageError for an unreadable key.
 */
export async function signatureStatus(
  archivePath: string,
  options: SignatureStatusOptions = {},
): Promise<SignatureStatus> {
  const sigPath = `${archivePath}.minisig`;
  const file = basename(sigPath);
  if (!existsSync(sigPath)) return { status: "unsigned", file };
  if (!options.trustedKeyPath) return { status: "unverified", file };
  const v = await verifyFileSignature(archivePath, sigPath, { publicKeyPath: options.trustedKeyPath });
  return { status: "verified", file, key_id: v.keyId, trusted_comment: v.trustedComment };
}
