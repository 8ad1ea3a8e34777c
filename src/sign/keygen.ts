/** Generating a minisign-compatible key pair and writing it safely. */
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, unlinkSync } from "node:fs";
import { UsageError } from "../errors.ts";
import { writeFileAtomic } from "../fs/atomic_write.ts";
import { generateEd25519 } from "./_ed25519.ts";
import { encodePublicKey, encodeSecretKeyFile, formatKeyId } from "./minisign_format.ts";
import { encryptSecretKey, type SecretKey } from "./secret_key.ts";

/** Options of {@link generateKeyPair}. */
export interface GenerateKeyOptions {
  /** Passphrase for the secret key. Required unless `unencrypted` is true. */
  password?: string;
  /** Write the secret key unencrypted (like `minisign -G -W`). Default false. */
  unencrypted?: boolean;
}

/** A generated key pair: the key and the two file texts. */
export interface GeneratedKeyPair {
  key: SecretKey;
  /** Key id as minisign prints it. */
  keyId: string;
  publicKeyText: string;
  secretKeyText: string;
}

/**
 * Generates a key pair in minisign's format. Encrypted keys use minisign's scrypt cost (1 GiB, a few
 * seconds), so `minisign -S -s` can use them too.
 * @throws {UsageError} when no password is given for an encrypted key (or one is given with `unencrypted`).
 */
export async function generateKeyPair(options: GenerateKeyOptions = {}): Promise<GeneratedKeyPair> {
  if (options.unencrypted && options.password !== undefined) {
    throw new UsageError("Cannot generate key: a password was given together with --unencrypted. Drop one");
  }
  if (!options.unencrypted && !options.password) {
    throw new UsageError(
      "Cannot generate key: no passphrase. Set REPO_CLONER_KEY_PASSWORD or pass --password-file FILE, or use --unencrypted",
    );
  }
  const { secretKey, publicKey } = generateEd25519();
  const key: SecretKey = { keyId: new Uint8Array(randomBytes(8)), secretKey, publicKey };
  const file = await encryptSecretKey(key, { password: options.unencrypted ? undefined : options.password });
  const comment = options.unencrypted
    ? "repo-cloner secret key (UNENCRYPTED)"
    : "repo-cloner encrypted secret key";
  return {
    key,
    keyId: formatKeyId(key.keyId),
    publicKeyText: encodePublicKey({ keyId: key.keyId, publicKey }),
    secretKeyText: encodeSecretKeyFile(file, comment),
  };
}

/**
 * Writes the two key files atomically: the secret key with mode 0600 first, then the public key.
 * Without `force`, refuses when either file exists (checked before writing, and again atomically).
 * @throws {UsageError} when a file exists without `force`, or a file cannot be written.
 */
export function writeKeyPair(
  pair: GeneratedKeyPair,
  paths: { publicKeyPath: string; secretKeyPath: string },
  options: { force?: boolean } = {},
): void {
  const { publicKeyPath, secretKeyPath } = paths;
  if (publicKeyPath === secretKeyPath) {
    throw new UsageError(
      `Cannot write keys: the public and secret key paths are the same ("${publicKeyPath}")`,
    );
  }
  if (!options.force) assertKeyPathsFree(paths);
  const overwrite = Boolean(options.force);
  write(secretKeyPath, pair.secretKeyText, { mode: 0o600, overwrite });
  try {
    write(publicKeyPath, pair.publicKeyText, { mode: 0o644, overwrite });
  } catch (error) {
    // Without --force the secret key file is ours alone: do not leave half a pair behind.
    if (!overwrite) unlinkSync(secretKeyPath);
    throw error;
  }
}

/**
 * Fails early (before an expensive key derivation) when a key file already exists.
 * @throws {UsageError} naming the first existing file.
 */
export function assertKeyPathsFree(paths: { publicKeyPath: string; secretKeyPath: string }): void {
  for (const p of [paths.secretKeyPath, paths.publicKeyPath]) {
    if (existsSync(p) || isSymlink(p)) {
      throw new UsageError(`Cannot write key "${p}": it already exists. Pass --force to overwrite it`);
    }
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function write(path: string, text: string, options: { mode: number; overwrite: boolean }): void {
  try {
    writeFileAtomic(path, text, options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "EEXIST"
      ? "it already exists. Pass --force to overwrite it"
      : (error as Error).message;
    throw new UsageError(`Cannot write key "${path}": ${why}`, { cause: error });
  }
}
