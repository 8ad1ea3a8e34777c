/**
 * minisign secret keys: scrypt encryption (libsodium's crypto_pwhash_scryptsalsa208sha256 parameters),
 * the BLAKE2b-256 checksum, and loading a key file from disk.
 */
import { randomBytes, scrypt } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { UsageError } from "../errors.ts";
import { Blake2b } from "./blake2b.ts";
import { publicKeyFromSeed } from "./_ed25519.ts";
import { type MinisignSecretKeyFile, parseSecretKeyFile } from "./minisign_format.ts";

/** A decrypted secret key. `secretKey` is libsodium's 64 bytes: seed || public key. */
export interface SecretKey {
  keyId: Uint8Array;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** minisign -G's cost: libsodium's OPSLIMIT_SENSITIVE / MEMLIMIT_SENSITIVE (scrypt N=2^20, r=8, p=1; 1 GiB). */
export const DEFAULT_OPSLIMIT = 33554432n;
export const DEFAULT_MEMLIMIT = 1073741824n;
/** Refuse key files whose KDF would need more memory than this (a hostile file could ask for terabytes). */
const MAX_SCRYPT_BYTES = 2 ** 31;
const MAX_SCRYPT_P = 64;

/**
 * scrypt (N, r, p) for an opslimit/memlimit pair, exactly as libsodium's `pickparams` chooses them for
 * `crypto_pwhash_scryptsalsa208sha256`.
 */
export function scryptParams(opslimit: bigint, memlimit: bigint): { N: number; r: number; p: number } {
  const ops = opslimit < 32768n ? 32768n : opslimit;
  const r = 8n;
  let nLog2 = 1n;
  let p: bigint;
  if (ops < memlimit / 32n) {
    p = 1n;
    const maxN = ops / (r * 4n);
    for (nLog2 = 1n; nLog2 < 63n; nLog2++) if (1n << nLog2 > maxN / 2n) break;
  } else {
    const maxN = memlimit / (r * 128n);
    for (nLog2 = 1n; nLog2 < 63n; nLog2++) if (1n << nLog2 > maxN / 2n) break;
    let maxrp = (ops / 4n) / (1n << nLog2);
    if (maxrp > 0x3fffffffn) maxrp = 0x3fffffffn;
    p = maxrp / r;
  }
  if (nLog2 > 40n) return { N: Infinity, r: 8, p: Number(p) };
  return { N: Number(1n << nLog2), r: Number(r), p: Number(p) };
}

/** The checksum minisign stores: BLAKE2b-256(`Ed` || key id || secret key). */
export function keyChecksum(keyId: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return new Blake2b(32).update(new Uint8Array([0x45, 0x64])).update(keyId).update(secretKey).digest();
}

async function scryptStream(
  password: string,
  file: MinisignSecretKeyFile,
  source: string,
): Promise<Uint8Array> {
  const { N, r, p } = scryptParams(file.opslimit, file.memlimit);
  if (!Number.isFinite(N) || 128 * N * r > MAX_SCRYPT_BYTES || p < 1 || p > MAX_SCRYPT_P) {
    throw new UsageError(
      `Cannot decrypt ${source}: its key derivation parameters (opslimit ${file.opslimit}, memlimit ${file.memlimit}) ` +
        `exceed what we allow (2 GiB). Re-create the key`,
    );
  }
  const maxmem = 128 * N * r + 128 * r * p + 64 * 1024 * 1024;
  return await new Promise((resolve, reject) => {
    scrypt(Buffer.from(password, "utf8"), file.salt, 104, { N, r, p, maxmem }, (err, key) => {
      if (err) {
        reject(new UsageError(`Cannot decrypt ${source}: scrypt failed: ${err.message}`, { cause: err }));
      } else resolve(new Uint8Array(key));
    });
  });
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((v, i) => v ^ b[i]);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Decrypts (when needed) and checks a secret key file's contents.
 * Unencrypted keys written by `minisign -G -W` carry an all-zero checksum; those are accepted, and
 * every key is checked by deriving its public key from the seed.
 * @throws {UsageError} when a password is needed but missing, the password is wrong, or the key is damaged.
 */
export async function decryptSecretKey(
  file: MinisignSecretKeyFile,
  options: { password?: string; source?: string } = {},
): Promise<SecretKey> {
  const source = options.source ?? "secret key";
  let keynumSk = file.keynumSk;
  if (file.kdf === "scrypt") {
    if (options.password === undefined || options.password === "") {
      throw new UsageError(
        `Cannot decrypt ${source}: it is encrypted and no password was given. Set REPO_CLONER_KEY_PASSWORD or pass --password-file`,
      );
    }
    keynumSk = xor(keynumSk, await scryptStream(options.password, file, source));
  }
  const keyId = keynumSk.slice(0, 8);
  const secretKey = keynumSk.slice(8, 72);
  const checksum = keynumSk.slice(72, 104);
  const unencryptedZero = file.kdf === "none" && checksum.every((b) => b === 0);
  if (!unencryptedZero && !equal(checksum, keyChecksum(keyId, secretKey))) {
    throw new UsageError(
      file.kdf === "scrypt"
        ? `Cannot decrypt ${source}: wrong password for that key`
        : `Cannot read ${source}: its checksum does not match (damaged key file)`,
    );
  }
  const publicKey = publicKeyFromSeed(secretKey.subarray(0, 32));
  if (!equal(publicKey, secretKey.subarray(32))) {
    throw new UsageError(`Cannot read ${source}: its public half does not match its seed (damaged key file)`);
  }
  return { keyId, secretKey, publicKey };
}

/**
 * Builds a secret key file for `key`: scrypt-encrypted with `password`, or unencrypted when the password
 * is undefined. `opslimit`/`memlimit` default to minisign's (1 GiB, a few seconds).
 */
export async function encryptSecretKey(
  key: SecretKey,
  options: { password?: string; opslimit?: bigint; memlimit?: bigint } = {},
): Promise<MinisignSecretKeyFile> {
  const plain = new Uint8Array(104);
  plain.set(key.keyId, 0);
  plain.set(key.secretKey, 8);
  plain.set(keyChecksum(key.keyId, key.secretKey), 72);
  if (options.password === undefined) {
    return { kdf: "none", salt: new Uint8Array(32), opslimit: 0n, memlimit: 0n, keynumSk: plain };
  }
  if (options.password === "") throw new UsageError("Cannot encrypt the secret key: the password is empty");
  const file: MinisignSecretKeyFile = {
    kdf: "scrypt",
    salt: new Uint8Array(randomBytes(32)),
    opslimit: options.opslimit ?? DEFAULT_OPSLIMIT,
    memlimit: options.memlimit ?? DEFAULT_MEMLIMIT,
    keynumSk: plain,
  };
  return { ...file, keynumSk: xor(plain, await scryptStream(options.password, file, "the secret key")) };
}

/**
 * Reads, decrypts and checks the secret key file at `path` (ours or minisign's).
 * @throws {UsageError} when the file is missing, malformed, or the password is missing/wrong.
 */
export async function loadSecretKey(path: string, options: { password?: string } = {}): Promise<SecretKey> {
  let text: string;
  try {
    if ((await stat(path)).size > 64 * 1024) throw new Error("too large for a key file");
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`Cannot read secret key "${path}": ${(error as Error).message}`, { cause: error });
  }
  return await decryptSecretKey(parseSecretKeyFile(text, `secret key "${path}"`), {
    password: options.password,
    source: `secret key "${path}"`,
  });
}
