/**
 * Archive authenticity on top of the minisign primitives (src/sign): signing a finished archive with a
 * trusted comment that names it (file, archive_id, type, base, sequence number, repository), and checking
 * a `.minisig` BEFORE anything decompresses the archive, then the signed fields against the manifest,
 * then the sequence number against the last one restored (rollback).
 */
import { existsSync, lstatSync } from "node:fs";
import { basename } from "node:path";
import { VerificationError } from "../errors.ts";
import { withDirLock } from "../fs/lock.ts";
import {
  checkSequence,
  decideSignaturePolicy,
  formatArchiveTrustedComment,
  issueSequence,
  recordSequence,
  type SecretKey,
  signatureDecision,
  type SignaturePolicy,
  signFile,
  verifyFileSignature,
} from "../sign/mod.ts";
import type { Manifest } from "./manifest.ts";

/** Suffix of an archive's signature file. */
export const SIGNATURE_SUFFIX = ".minisig";

/** What signing produced. */
export interface ArchiveSigned {
  signaturePath: string;
  keyId: string;
  seq: number;
  trustedComment: string;
}

/** Options of {@link signArchive}. */
export interface SignArchiveOptions {
  /** The decrypted secret key (load it before the long work, so a wrong password fails first). */
  key: SecretKey;
  /** Final archive file name (the signed `file:` field); the file being signed may still be a `.partial`. */
  name: string;
  /** Where to write the signature. Default `<file>.minisig`. */
  signaturePath?: string;
  /** State directory holding the issued sequence numbers (locked while a number is issued). */
  stateDir: string;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
}

/**
 * Signs `file` (an archive described by `manifest`): issues the repository's next sequence number in
 * `stateDir`, then writes a minisign `ED` signature whose trusted comment carries
 * `timestamp file archive_id type base seq repo`. Verifies with `minisign -Vm`.
 * @throws ArchiveError when the file cannot be read or the signature written; LockedError when the state
 *   directory stays locked.
 */
export async function signArchive(
  file: string,
  manifest: Manifest,
  options: SignArchiveOptions,
): Promise<ArchiveSigned> {
  const now = options.now ?? (() => new Date());
  const repo = manifest.repository.name;
  const seq = await withDirLock(
    options.stateDir,
    { role: "state directory", command: "archive create --sign" },
    () => issueSequence(repo, { stateDir: options.stateDir, archiveId: manifest.archive_id, now }),
  );
  const trustedComment = formatArchiveTrustedComment({
    timestamp: Math.floor(now().getTime() / 1000),
    file: options.name,
    archiveId: manifest.archive_id,
    type: manifest.type,
    base: manifest.base?.archive_id ?? null,
    seq,
    repo,
  });
  const r = await signFile(file, "", {
    key: options.key,
    trustedComment,
    signaturePath: options.signaturePath ?? `${file}${SIGNATURE_SUFFIX}`,
  });
  return { signaturePath: r.signaturePath, keyId: r.keyId, seq, trustedComment };
}

/** The outcome of {@link checkArchiveSignature}, also shown in the check list and the JSON result. */
export type ArchiveSignatureCheck =
  | {
    status: "verified";
    key_id: string;
    algorithm: "ED" | "Ed";
    /** Signed fields (null for a plain `minisign -S` comment, which carries no archive fields). */
    archive_id: string | null;
    seq: number | null;
    repository: string | null;
    trusted_comment: string;
  }
  | { status: "unsigned" | "not-checked"; note?: string };

/** Options of {@link checkArchiveSignature}. */
export interface CheckSignatureOptions {
  /** Configured policy (`verify.signature`). Default: `always` with a trusted key, else `if-present`. */
  policy?: SignaturePolicy;
  /** Trusted public key file (`--trusted-key` / `verify.trusted_key`). */
  trustedKeyPath?: string;
  /** Accept legacy `Ed` signatures. Default false. */
  allowLegacy?: boolean;
  /** State directory with the highest sequence restored per repository (rollback check). */
  stateDir: string;
}

/**
 * Checks `<archive>.minisig` against the trusted key under the signature policy, reading only raw
 * bytes: call it before anything decompresses the archive. A verified archive comment must name this
 * archive file and carry a sequence number not lower than the last restored for its repository.
 * Plain minisign comments (no archive fields) are accepted as verified but cannot be rollback-checked.
 * @throws {VerificationError} (exit 3) naming the cause; {@link UsageError} (exit 2) for a bad key or
 *   `always` without a key.
 */
export async function checkArchiveSignature(
  archive: string,
  options: CheckSignatureOptions,
): Promise<ArchiveSignatureCheck> {
  const trusted = options.trustedKeyPath !== undefined;
  const policy = decideSignaturePolicy({ configured: options.policy, trustedKeyConfigured: trusted });
  const sigPath = `${archive}${SIGNATURE_SUFFIX}`;
  const present = existsSync(sigPath) || isLink(sigPath);
  const decision = signatureDecision(policy, {
    archive,
    signaturePresent: present,
    trustedKeyConfigured: trusted,
  });
  if (!decision.verify) {
    if (policy === "never") return { status: "not-checked", note: "verify.signature is never" };
    // Unsigned with no trusted key configured: signing is not in use here, nothing worth a line.
    if (!present && !trusted) return { status: "unsigned" };
    return { status: present ? "not-checked" : "unsigned", note: decision.note };
  }
  const v = await verifyFileSignature(archive, sigPath, {
    publicKeyPath: options.trustedKeyPath,
    allowLegacy: options.allowLegacy ?? false,
  });
  const f = v.fields;
  if (f) {
    if (f.file !== basename(archive)) {
      throw new VerificationError(
        `Cannot verify "${archive}": the signature was made for "${f.file}", not "${basename(archive)}" ` +
          `(a signature copied from another archive?). Use the archive under its signed name`,
        { entry: sigPath },
      );
    }
    checkSequence(f.repo, f.seq, { stateDir: options.stateDir });
  }
  return {
    status: "verified",
    key_id: v.keyId,
    algorithm: v.algorithm,
    archive_id: f?.archiveId ?? null,
    seq: f?.seq ?? null,
    repository: f?.repo ?? null,
    trusted_comment: v.trustedComment,
  };
}

/**
 * Checks the manifest of a verified archive against its signed fields: same archive id and repository.
 * @throws {VerificationError} on a mismatch (a signature from another archive of the same name).
 */
export function checkSignedManifest(
  check: ArchiveSignatureCheck,
  manifest: { archive_id: string; repository?: { name: string } },
  archive: string,
): void {
  if (check.status !== "verified" || check.archive_id === null) return;
  const repoDiffers = manifest.repository !== undefined && check.repository !== manifest.repository.name;
  if (check.archive_id !== manifest.archive_id || repoDiffers) {
    throw new VerificationError(
      `Cannot verify "${archive}": the signature covers archive ${check.archive_id} of "${check.repository}" ` +
        `but the manifest says archive ${manifest.archive_id}` +
        (manifest.repository ? ` of "${manifest.repository.name}"` : ""),
      { entry: "manifest.json" },
    );
  }
}

/**
 * After a successful restore: records the archive's sequence number for its repository (under the state
 * directory's lock), so older archives are refused from now on. No-op for unsigned archives.
 */
export async function recordRestoredSequence(
  check: ArchiveSignatureCheck,
  options: { stateDir: string },
): Promise<void> {
  if (check.status !== "verified" || check.seq === null || check.repository === null) return;
  const { seq, repository, archive_id } = check;
  await withDirLock(
    options.stateDir,
    { role: "state directory", command: "archive restore" },
    () => recordSequence(repository, seq, { stateDir: options.stateDir, archiveId: archive_id ?? undefined }),
  );
}

/** A one-line description for the check list: `✓ (key ABCD…, seq 3)` or why it was not checked. */
export function describeSignature(check: ArchiveSignatureCheck): string {
  if (check.status === "verified") {
    const seq = check.seq === null ? "" : `, seq ${check.seq}`;
    return `(key ${check.key_id}${seq}${check.algorithm === "Ed" ? ", legacy Ed" : ""})`;
  }
  return check.note ?? (check.status === "unsigned" ? "archive is not signed" : "not checked");
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
