/** Signing a file the way `minisign -S` does (algorithm `ED`), writing `<file>.minisig` atomically. */
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { ArchiveError } from "../errors.ts";
import { writeFileAtomic } from "../fs/atomic_write.ts";
import { ed25519Sign, ed25519Verify } from "./_ed25519.ts";
import { blake2b512File } from "./_hash_file.ts";
import { encodeSignature, formatKeyId, TRUSTED_COMMENT_MAX_BYTES } from "./minisign_format.ts";
import { loadSecretKey, type SecretKey } from "./secret_key.ts";

/** Options of {@link signFile}. */
export interface SignFileOptions {
  /** Password of an encrypted secret key. Required for encrypted keys; ignored for unencrypted ones. */
  password?: string;
  /** One-line trusted comment. Default: minisign 0.11's `timestamp:<unix>\tfile:<name>\thashed`. */
  trustedComment?: string;
  /** Untrusted comment. Default `signature from repo-cloner secret key <KEYID>`. */
  untrustedComment?: string;
  /** Where to write the signature. Default `<path>.minisig`. */
  signaturePath?: string;
  /** An already loaded key (skips reading `secretKeyPath` and scrypt). */
  key?: SecretKey;
  /** Clock for the default trusted comment. Default `Date.now`. */
  now?: () => number;
}

/** What {@link signFile} wrote. */
export interface SignFileResult {
  signaturePath: string;
  /** Key id as minisign prints it. */
  keyId: string;
  trustedComment: string;
}

/**
 * Signs the file at `path` with the minisign secret key at `secretKeyPath` (ours or `minisign -G`'s,
 * encrypted or not): Ed25519 over BLAKE2b-512 of the file, read once as a stream, plus the global
 * signature over signature || trusted comment. The `.minisig` verifies with `minisign -Vm <path>`.
 * @throws {UsageError} for a missing/wrong password or a bad key file; {@link ArchiveError} when
 *   the file cannot be read or the signature cannot be written; TypeError for a multi-line comment.
 */
export async function signFile(
  path: string,
  secretKeyPath: string,
  options: SignFileOptions = {},
): Promise<SignFileResult> {
  const now = options.now ?? Date.now;
  const trustedComment = options.trustedComment ??
    `timestamp:${Math.floor(now() / 1000)}\tfile:${basename(path)}\thashed`;
  const tc = Buffer.from(trustedComment, "utf8");
  if (/[\r\n]/.test(trustedComment) || tc.length > TRUSTED_COMMENT_MAX_BYTES) {
    throw new TypeError(`Cannot sign "${path}": the trusted comment must be one line under 8174 bytes`);
  }
  const key = options.key ?? await loadSecretKey(secretKeyPath, { password: options.password });
  const keyId = formatKeyId(key.keyId);
  let digest: Uint8Array;
  try {
    if (!(await stat(path)).isFile()) throw new Error("not a regular file");
    digest = await blake2b512File(path);
  } catch (error) {
    throw new ArchiveError(`Cannot sign "${path}": ${(error as Error).message}`, { cause: error });
  }
  const signature = ed25519Sign(key.secretKey, digest);
  const signed = Buffer.concat([signature, tc]);
  const globalSignature = ed25519Sign(key.secretKey, signed);
  if (!ed25519Verify(key.publicKey, signed, globalSignature)) {
    throw new ArchiveError(
      `Cannot sign "${path}": the signature does not verify with the key's own public key`,
    );
  }
  const signaturePath = options.signaturePath ?? `${path}.minisig`;
  const text = encodeSignature({
    untrustedComment: options.untrustedComment ?? `signature from repo-cloner secret key ${keyId}`,
    algorithm: "ED",
    keyId: key.keyId,
    signature,
    trustedComment: tc,
    globalSignature,
  });
  try {
    writeFileAtomic(signaturePath, text);
  } catch (error) {
    throw new ArchiveError(`Cannot write signature "${signaturePath}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  return { signaturePath, keyId, trustedComment };
}
