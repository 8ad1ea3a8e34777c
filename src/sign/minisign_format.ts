/**
 * minisign's file formats, byte for byte (https://jedisct1.github.io/minisign/):
 *
 * - public key: `untrusted comment: …` line, then base64(`Ed` || key id(8) || public key(32));
 * - secret key: comment line, then base64(`Ed` || kdf `Sc`|`\0\0` || `B2` || salt(32) ||
 *   opslimit(8, LE) || memlimit(8, LE) || keynum_sk(104)) where keynum_sk = key id(8) || secret key(64) ||
 *   BLAKE2b-256(`Ed` || key id || secret key), XOR'ed with an scrypt stream when encrypted;
 * - signature: `untrusted comment: …`, base64(`ED`|`Ed` || key id || signature(64)),
 *   `trusted comment: …`, base64(global signature(64)).
 *
 * Parsing a signature throws {@link VerificationError} (it is untrusted input); parsing key files throws
 * {@link UsageError} (they are configuration).
 */
import { UsageError, VerificationError } from "../errors.ts";

/** Public key: `Ed` || key id || public key. */
export interface MinisignPublicKey {
  keyId: Uint8Array;
  publicKey: Uint8Array;
}

/** The fields of a secret key file; `keynumSk` is still encrypted when `kdf` is "scrypt". */
export interface MinisignSecretKeyFile {
  kdf: "scrypt" | "none";
  salt: Uint8Array;
  opslimit: bigint;
  memlimit: bigint;
  /** key id(8) || secret key(64) || checksum(32), XOR'ed with the scrypt stream when encrypted. */
  keynumSk: Uint8Array;
}

/** A parsed `.minisig` file. */
export interface MinisignSignature {
  untrustedComment: string;
  /** `ED`: Ed25519 over BLAKE2b-512 of the file (prehashed); `Ed`: legacy, over the raw file. */
  algorithm: "ED" | "Ed";
  keyId: Uint8Array;
  signature: Uint8Array;
  /** The trusted comment exactly as signed (bytes after the prefix, line end removed). */
  trustedComment: Uint8Array;
  globalSignature: Uint8Array;
}

export const UNTRUSTED_PREFIX = "untrusted comment: ";
export const TRUSTED_PREFIX = "trusted comment: ";
/** minisign's limit: the whole trusted comment line, prefix included, stays below 8192 bytes. */
export const TRUSTED_COMMENT_MAX_BYTES = 8192 - TRUSTED_PREFIX.length - 1;
const COMMENT_MAX_BYTES = 1024;
const SECRET_KEY_BYTES = 2 + 2 + 2 + 32 + 8 + 8 + 104;

/** Key id as minisign prints it: the 8 bytes read as a little-endian integer, upper-case hex (`%PRIX64`). */
export function formatKeyId(keyId: Uint8Array): string {
  return new DataView(keyId.buffer, keyId.byteOffset, 8).getBigUint64(0, true).toString(16).toUpperCase();
}

/** Strict base64 (standard alphabet, padded, canonical); undefined when `text` is not exactly that. */
export function decodeBase64Strict(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? new Uint8Array(bytes) : undefined;
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

function checkComment(comment: string, what: string): void {
  if (/[\r\n]/.test(comment) || Buffer.byteLength(comment) >= COMMENT_MAX_BYTES - UNTRUSTED_PREFIX.length) {
    throw new TypeError(`Cannot write ${what}: the comment must be one line under 1000 bytes`);
  }
}

/** Text of a minisign public key file (comment `minisign public key <ID>`, as minisign writes it). */
export function encodePublicKey(key: MinisignPublicKey): string {
  const body = b64(Buffer.concat([Buffer.from("Ed"), key.keyId, key.publicKey]));
  return `${UNTRUSTED_PREFIX}minisign public key ${formatKeyId(key.keyId)}\n${body}\n`;
}

/**
 * Parses a public key: the text of a `.pub` file, or the bare base64 line that `minisign -P` takes.
 * @throws {UsageError} when it is neither.
 */
export function parsePublicKey(text: string, source = "public key"): MinisignPublicKey {
  const lines = text.split("\n").map((l) => l.replace(/\r+$/, ""));
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const body = lines.length === 1
    ? lines[0]
    : lines.length === 2 && lines[0].startsWith("untrusted comment:")
    ? lines[1]
    : undefined;
  const bytes = body === undefined ? undefined : decodeBase64Strict(body.trim());
  if (!bytes || bytes.length !== 42) {
    throw new UsageError(
      `Cannot read ${source}: not a minisign public key. Give the .pub file written by "repo-cloner key generate" or "minisign -G"`,
    );
  }
  if (bytes[0] !== 0x45 || bytes[1] !== 0x64) {
    throw new UsageError(`Cannot read ${source}: unsupported signature algorithm (expected "Ed")`);
  }
  return { keyId: bytes.slice(2, 10), publicKey: bytes.slice(10, 42) };
}

/** Text of a minisign secret key file. */
export function encodeSecretKeyFile(file: MinisignSecretKeyFile, comment: string): string {
  checkComment(comment, "secret key");
  const head = new Uint8Array(6 + 32 + 16);
  head.set(Buffer.from(file.kdf === "scrypt" ? "EdScB2" : "Ed\0\0B2", "latin1"), 0);
  head.set(file.salt, 6);
  const view = new DataView(head.buffer);
  view.setBigUint64(38, file.opslimit, true);
  view.setBigUint64(46, file.memlimit, true);
  return `${UNTRUSTED_PREFIX}${comment}\n${b64(Buffer.concat([head, file.keynumSk]))}\n`;
}

/**
 * Parses a secret key file written by us or by `minisign -G` (encrypted or `-W`).
 * @throws {UsageError} on anything else.
 */
export function parseSecretKeyFile(text: string, source = "secret key"): MinisignSecretKeyFile {
  const lines = text.split("\n").map((l) => l.replace(/\r+$/, ""));
  const bytes = lines.length >= 2 && lines[0].startsWith("untrusted comment:")
    ? decodeBase64Strict(lines[1].trim())
    : undefined;
  if (!bytes || bytes.length !== SECRET_KEY_BYTES || lines.slice(2).some((l) => l.trim() !== "")) {
    throw new UsageError(
      `Cannot read ${source}: not a minisign secret key. Give the .key file written by "repo-cloner key generate" or "minisign -G"`,
    );
  }
  const tag = Buffer.from(bytes.subarray(0, 6)).toString("latin1");
  if (tag.slice(0, 2) !== "Ed") {
    throw new UsageError(`Cannot read ${source}: unsupported signature algorithm`);
  }
  if (tag.slice(4, 6) !== "B2") throw new UsageError(`Cannot read ${source}: unsupported checksum algorithm`);
  const kdfTag = tag.slice(2, 4);
  if (kdfTag !== "Sc" && kdfTag !== "\0\0") {
    throw new UsageError(`Cannot read ${source}: unsupported key derivation function`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return {
    kdf: kdfTag === "Sc" ? "scrypt" : "none",
    salt: bytes.slice(6, 38),
    opslimit: view.getBigUint64(38, true),
    memlimit: view.getBigUint64(46, true),
    keynumSk: bytes.slice(54),
  };
}

/** Text of a `.minisig` file. */
export function encodeSignature(sig: MinisignSignature): string {
  checkComment(sig.untrustedComment, "signature");
  const tc = Buffer.from(sig.trustedComment);
  if (tc.includes(0x0a) || tc.includes(0x0d) || tc.length > TRUSTED_COMMENT_MAX_BYTES) {
    throw new TypeError(`Cannot write signature: the trusted comment must be one line under 8174 bytes`);
  }
  const alg = Buffer.from(sig.algorithm, "latin1");
  return `${UNTRUSTED_PREFIX}${sig.untrustedComment}\n` +
    `${b64(Buffer.concat([alg, sig.keyId, sig.signature]))}\n` +
    `${TRUSTED_PREFIX}${tc.toString("utf8")}\n${b64(sig.globalSignature)}\n`;
}

/**
 * Parses the bytes of a `.minisig` file: exactly four lines (LF or CRLF, final newline optional).
 * The trusted comment is kept as raw bytes so verification sees exactly what was signed.
 * @throws {VerificationError} on any deviation.
 */
export function parseSignature(bytes: Uint8Array, source = "signature"): MinisignSignature {
  const bad = (why: string) => new VerificationError(`Cannot verify ${source}: ${why}`, { entry: source });
  const raw = Buffer.from(bytes);
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= raw.length && lines.length <= 5; i++) {
    if (i === raw.length || raw[i] === 0x0a) {
      let end = i;
      while (end > start && raw[end - 1] === 0x0d) end--;
      lines.push(raw.subarray(start, end));
      start = i + 1;
    }
  }
  if (lines.length === 5 && lines[4].length === 0) lines.pop();
  if (lines.length !== 4) throw bad("not a minisign signature file (expected 4 lines)");
  const [comment, sigLine, tcLine, globalLine] = lines;
  if (!comment.toString("latin1").startsWith(UNTRUSTED_PREFIX)) {
    throw bad(`the first line must start with "${UNTRUSTED_PREFIX}"`);
  }
  if (!tcLine.toString("latin1").startsWith(TRUSTED_PREFIX)) {
    throw bad(`the third line must start with "${TRUSTED_PREFIX}"`);
  }
  const trustedComment = new Uint8Array(tcLine.subarray(TRUSTED_PREFIX.length));
  if (trustedComment.length > TRUSTED_COMMENT_MAX_BYTES) throw bad("trusted comment too long");
  const sigBytes = decodeBase64Strict(sigLine.toString("latin1"));
  if (!sigBytes || sigBytes.length !== 74) throw bad("the signature line is not valid base64 of 74 bytes");
  const alg = Buffer.from(sigBytes.subarray(0, 2)).toString("latin1");
  if (alg !== "ED" && alg !== "Ed") throw bad(`unsupported signature algorithm ${JSON.stringify(alg)}`);
  const globalSignature = decodeBase64Strict(globalLine.toString("latin1"));
  if (!globalSignature || globalSignature.length !== 64) {
    throw bad("the trusted comment signature line is not valid base64 of 64 bytes");
  }
  return {
    untrustedComment: comment.subarray(UNTRUSTED_PREFIX.length).toString("utf8"),
    algorithm: alg,
    keyId: sigBytes.slice(2, 10),
    signature: sigBytes.slice(10, 74),
    trustedComment,
    globalSignature,
  };
}
