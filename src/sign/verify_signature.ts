/** Verifying a `.minisig` the way `minisign -V` does, with stricter defaults (no legacy `Ed`). */
import { open, readFile, stat } from "node:fs/promises";
import { UsageError, VerificationError } from "../errors.ts";
import { ed25519Verify } from "./_ed25519.ts";
import { blake2b512File } from "./_hash_file.ts";
import { formatKeyId, type MinisignPublicKey, parsePublicKey, parseSignature } from "./minisign_format.ts";
import {
  type ArchiveSignatureFields,
  isArchiveTrustedComment,
  parseArchiveTrustedComment,
} from "./trusted_comment.ts";

/** Options of {@link verifyFileSignature}. Give exactly one of `publicKey` and `publicKeyPath`. */
export interface VerifySignatureOptions {
  /** The trusted key: a parsed key, the text of a `.pub` file, or the base64 line `minisign -P` takes. */
  publicKey?: MinisignPublicKey | string;
  /** Path of the trusted `.pub` file. */
  publicKeyPath?: string;
  /** Accept legacy `Ed` signatures (Ed25519 over the whole file, at most 1 GiB, read into memory). Default false. */
  allowLegacy?: boolean;
}

/** A verified signature. */
export interface SignatureVerification {
  /** Key id as minisign prints it. */
  keyId: string;
  algorithm: "ED" | "Ed";
  /** The trusted comment (verified). */
  trustedComment: string;
  /** The archive fields of the trusted comment; null when it is not an archive comment (e.g. `minisign -S` default). */
  fields: ArchiveSignatureFields | null;
}

const MAX_SIGNATURE_FILE = 16 * 1024;
const MAX_LEGACY_FILE = 2 ** 30;

async function readPublicKey(options: VerifySignatureOptions): Promise<MinisignPublicKey> {
  if ((options.publicKey === undefined) === (options.publicKeyPath === undefined)) {
    throw new TypeError("verifyFileSignature: give exactly one of publicKey and publicKeyPath");
  }
  if (options.publicKey !== undefined) {
    return typeof options.publicKey === "string" ? parsePublicKey(options.publicKey) : options.publicKey;
  }
  const path = options.publicKeyPath as string;
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size > MAX_SIGNATURE_FILE) throw new Error("not a small regular file");
    return parsePublicKey(await readFile(path, "utf8"), `public key "${path}"`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Cannot read public key "${path}": ${(error as Error).message}`, { cause: error });
  }
}

async function readSignatureFile(sigPath: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(sigPath, "r");
    const info = await handle.stat();
    if (!info.isFile()) throw new Error("not a regular file");
    if (info.size > MAX_SIGNATURE_FILE) throw new Error(`too large (${info.size} bytes) for a signature`);
    const buf = Buffer.alloc(info.size);
    let off = 0;
    while (off < buf.length) {
      const { bytesRead } = await handle.read(buf, off, buf.length - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return new Uint8Array(buf.subarray(0, off));
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === "ENOENT"
      ? "not found (ENOENT). Copy the .minisig beside the archive"
      : (error as Error).message;
    throw new VerificationError(`Cannot verify signature "${sigPath}": ${why}`, {
      entry: sigPath,
      cause: error,
    });
  } finally {
    await handle?.close();
  }
}

async function message(path: string, legacy: boolean): Promise<Uint8Array> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error("not a regular file");
    if (!legacy) return await blake2b512File(path);
    if (info.size > MAX_LEGACY_FILE) throw new Error("a legacy Ed signature covers at most 1 GiB");
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new VerificationError(`Cannot verify "${path}": ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Verifies the minisign signature `sigPath` of the file at `path` against a trusted public key:
 * key ids must match, the file signature must hold (BLAKE2b-512 of the raw file bytes, streamed), and the
 * global signature must cover the trusted comment unchanged. Call it BEFORE decompressing or parsing
 * anything from the file: it reads the raw bytes only, so a hostile archive is rejected before any
 * decompressor sees it.
 * @throws {VerificationError} (exit 3) for a malformed or missing signature, a wrong key id, a bad
 *   signature, an edited trusted comment, a legacy `Ed` signature without `allowLegacy`, or an
 *   archive trusted comment that does not parse. {@link UsageError} for a bad public key.
 */
export async function verifyFileSignature(
  path: string,
  sigPath: string,
  options: VerifySignatureOptions,
): Promise<SignatureVerification> {
  const key = await readPublicKey(options);
  const sig = parseSignature(await readSignatureFile(sigPath), `signature "${sigPath}"`);
  const fail = (why: string) => new VerificationError(`Cannot verify "${path}": ${why}`, { entry: sigPath });
  if (!Buffer.from(sig.keyId).equals(Buffer.from(key.keyId))) {
    throw fail(
      `signature key id is ${formatKeyId(sig.keyId)} but the trusted key id is ${formatKeyId(key.keyId)}. ` +
        `Use the public key that matches the signing key`,
    );
  }
  if (sig.algorithm === "Ed" && !options.allowLegacy) {
    throw fail(
      `legacy "Ed" signature (not prehashed) refused. Re-sign with "minisign -S" (0.11+) or repo-cloner`,
    );
  }
  const msg = await message(path, sig.algorithm === "Ed");
  if (!ed25519Verify(key.publicKey, msg, sig.signature)) {
    throw fail(`signature does not match the file (the file was altered or signed with another key)`);
  }
  const signed = Buffer.concat([sig.signature, sig.trustedComment]);
  if (!ed25519Verify(key.publicKey, signed, sig.globalSignature)) {
    throw fail(`the trusted comment was altered (its signature does not verify)`);
  }
  const trustedComment = new TextDecoder("utf-8", { fatal: false }).decode(sig.trustedComment);
  let fields: ArchiveSignatureFields | null = null;
  if (isArchiveTrustedComment(trustedComment)) {
    try {
      fields = parseArchiveTrustedComment(trustedComment);
    } catch (error) {
      throw fail(`signed trusted comment is malformed: ${(error as Error).message}`);
    }
  }
  return { keyId: formatKeyId(key.keyId), algorithm: sig.algorithm, trustedComment, fields };
}
