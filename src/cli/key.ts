/** `repo-cloner key generate`: a minisign-compatible key pair for signing archives. */
import type { Command } from "commander";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UsageError } from "../errors.ts";
import { redactor } from "../log/redact.ts";
import { assertKeyPathsFree, generateKeyPair, writeKeyPair } from "../sign/keygen.ts";
import { openContext } from "./context.ts";
import { globalsOf } from "./program.ts";

/** Environment variable holding the secret key passphrase (never taken from argv). */
export const KEY_PASSWORD_ENV = "REPO_CLONER_KEY_PASSWORD";

/** Default file names inside --output-dir. */
export const DEFAULT_PUBLIC_KEY = "repo-cloner.pub";
export const DEFAULT_SECRET_KEY = "repo-cloner.key";

interface GenerateFlags {
  outputDir?: string;
  publicKey?: string;
  secretKey?: string;
  passwordFile?: string;
  unencrypted?: boolean;
  force?: boolean;
}

/**
 * Reads a passphrase file: its first line, without the line end (like minisign reads a password).
 * @throws {UsageError} when it is missing, not a small file, or empty.
 */
export function readPasswordFile(path: string): string {
  let text: string;
  try {
    if (statSync(path).size > 4096) throw new Error("larger than 4 KiB; it should hold one line");
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`Cannot read password file "${path}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  const password = text.split("\n")[0].replace(/\r+$/, "");
  if (!password) throw new UsageError(`Cannot read password file "${path}": its first line is empty`);
  return password;
}

/**
 * The passphrase for a secret key: `--password-file` wins over REPO_CLONER_KEY_PASSWORD. Registered with
 * the redactor so it can never reach a log line or an error.
 */
export function keyPassword(
  passwordFile: string | undefined,
  env: Record<string, string | undefined>,
): string | undefined {
  const password = passwordFile !== undefined
    ? readPasswordFile(passwordFile)
    : env[KEY_PASSWORD_ENV] || undefined;
  redactor.add(password);
  return password;
}

function keyPaths(flags: GenerateFlags): { publicKeyPath: string; secretKeyPath: string } {
  if ((flags.publicKey === undefined) !== (flags.secretKey === undefined)) {
    throw new UsageError("Cannot generate key: give both --public-key and --secret-key, or neither");
  }
  if (flags.publicKey !== undefined && flags.outputDir !== undefined) {
    throw new UsageError(
      "Cannot generate key: --output-dir and --public-key/--secret-key exclude each other",
    );
  }
  if (flags.publicKey !== undefined) {
    if (resolve(flags.publicKey) === resolve(flags.secretKey as string)) {
      throw new UsageError(
        `Cannot generate key: the public and secret key paths are the same ("${flags.publicKey}")`,
      );
    }
    return { publicKeyPath: flags.publicKey, secretKeyPath: flags.secretKey as string };
  }
  const dir = flags.outputDir ?? ".";
  return { publicKeyPath: join(dir, DEFAULT_PUBLIC_KEY), secretKeyPath: join(dir, DEFAULT_SECRET_KEY) };
}

/** Registers `key generate`. */
export function registerKeyCommands(program: Command): void {
  const key = program.command("key").description("minisign-compatible signing keys for archives");
  key.command("generate")
    .description(
      `generate a key pair; the secret key is encrypted with ${KEY_PASSWORD_ENV} (or --password-file)`,
    )
    .option(
      "-o, --output-dir <dir>",
      `directory for ${DEFAULT_PUBLIC_KEY} and ${DEFAULT_SECRET_KEY} (default .)`,
    )
    .option("-p, --public-key <file>", "public key file (with --secret-key, instead of --output-dir)")
    .option("-s, --secret-key <file>", "secret key file, written with mode 0600")
    .option(
      "--password-file <file>",
      `read the passphrase from the first line of FILE instead of ${KEY_PASSWORD_ENV}`,
    )
    .option("--unencrypted", "write the secret key without a passphrase (like minisign -G -W)")
    .option("-f, --force", "overwrite existing key files")
    .action(async (flags: GenerateFlags, cmd: Command) => {
      const ctx = openContext("key", globalsOf(cmd));
      const log = ctx.logger.child("sign");
      const paths = keyPaths(flags);
      if (flags.unencrypted && flags.passwordFile !== undefined) {
        throw new UsageError("Cannot generate key: --password-file and --unencrypted exclude each other");
      }
      if (!flags.force) assertKeyPathsFree(paths);
      const password = flags.unencrypted ? undefined : keyPassword(flags.passwordFile, ctx.env);
      const pair = await generateKeyPair({ password, unencrypted: Boolean(flags.unencrypted) });
      for (const p of [paths.publicKeyPath, paths.secretKeyPath]) mkdirSync(dirname(p), { recursive: true });
      writeKeyPair(pair, paths, { force: Boolean(flags.force) });
      const encrypted = !flags.unencrypted;
      log.info("key pair generated", {
        key_id: pair.keyId,
        public_key: paths.publicKeyPath,
        secret_key: paths.secretKeyPath,
        encrypted,
        status: "success",
      });
      const t = ctx.terminal;
      t.line(`${t.style("green", "✓")} Key pair generated (key id ${pair.keyId})`);
      t.line(`  Public key: ${paths.publicKeyPath}  (give it to restore sites: --trusted-key)`);
      t.line(
        `  Secret key: ${paths.secretKeyPath}  (${
          encrypted ? "encrypted" : "UNENCRYPTED"
        }, mode 0600; keep it secret)`,
      );
      t.line(`  Check with: minisign -Vm <archive> -p ${paths.publicKeyPath}`);
      t.result({
        status: "success",
        key_id: pair.keyId,
        public_key: paths.publicKeyPath,
        secret_key: paths.secretKeyPath,
        encrypted,
      });
    });
}
