/**
 * The signature options shared by `archive verify` and `archive restore` (`--trusted-key`,
 * `--allow-legacy-signature`, config `verify.*`), and `archive create --sign`'s key loading.
 */
import type { Command } from "commander";
import { type CheckSignatureOptions, signArchive } from "../archive/archive_signature.ts";
import type { CreateArchiveOptions } from "../archive/create.ts";
import { stateDirOf } from "../config/state_dir.ts";
import { loadSecretKey, type SecretKey } from "../sign/mod.ts";
import type { CommandContext } from "./context.ts";
import { keyPassword } from "./key.ts";

/** The flags {@link addTrustedKeyOptions} registers. */
export interface TrustedKeyFlags {
  trustedKey?: string;
  allowLegacySignature?: boolean;
}

/** Registers `--trusted-key PUB` and `--allow-legacy-signature` on a command. */
export function addTrustedKeyOptions(cmd: Command): Command {
  return cmd
    .option(
      "--trusted-key <pub>",
      "minisign public key; the archive's .minisig must verify with it (verify.trusted_key)",
    )
    .option("--allow-legacy-signature", "accept legacy minisign 'Ed' signatures (not prehashed)");
}

/**
 * The signature check settings: flag over config `verify.trusted_key`; policy from `verify.signature`
 * (default `always` with a trusted key, else `if-present`); rollback state in the state directory.
 */
export function signatureCheckOptions(ctx: CommandContext, flags: TrustedKeyFlags): CheckSignatureOptions {
  const cfg = ctx.config.verify ?? {};
  return {
    policy: cfg.signature,
    trustedKeyPath: flags.trustedKey ?? cfg.trusted_key,
    allowLegacy: flags.allowLegacySignature ?? cfg.allow_legacy_signature ?? false,
    stateDir: stateDirOf(ctx.config, ctx.env),
  };
}

/**
 * Loads and decrypts the `--sign` secret key up front (a wrong password fails before any clone), with
 * the password from `--password-file` or REPO_CLONER_KEY_PASSWORD.
 * @throws UsageError for an unreadable key, a missing or wrong password.
 */
export async function loadSigningKey(
  keyPath: string,
  options: { passwordFile?: string; env: Record<string, string | undefined> },
): Promise<SecretKey> {
  return await loadSecretKey(keyPath, { password: keyPassword(options.passwordFile, options.env) });
}

/**
 * The `sign` hook of `createArchive` for `--sign KEY`: the key is loaded now (fail fast), sequence numbers
 * are issued in the state directory.
 */
export async function signingHook(
  keyPath: string,
  options: { passwordFile?: string; ctx: CommandContext },
): Promise<NonNullable<CreateArchiveOptions["sign"]>> {
  const key = await loadSigningKey(keyPath, { passwordFile: options.passwordFile, env: options.ctx.env });
  const stateDir = stateDirOf(options.ctx.config, options.ctx.env);
  return (file, info) =>
    signArchive(file, info.manifest, { key, name: info.name, signaturePath: info.signaturePath, stateDir });
}
