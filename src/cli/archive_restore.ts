import { type Command, Option } from "commander";
import { restoreArchive } from "../archive/restore.ts";
import { UsageError } from "../errors.ts";
import { redactor } from "../log/redact.ts";
import { printRestoreHeader, printRestoreSummary, restoreEventRenderer } from "./archive_restore_view.ts";
import { openContext } from "./context.ts";
import { resolveFlag, resolveValue } from "./option_values.ts";
import { globalsOf } from "./program.ts";
import { openGuard } from "./guarded_run.ts";
import { signatureCheckOptions, type TrustedKeyFlags } from "./signature_options.ts";
import {
  checkArchiveSignature,
  checkSignedManifest,
  recordRestoredSequence,
} from "../archive/archive_signature.ts";
import { removeStaleStaging } from "../archive/stale_staging.ts";

interface RestoreFlags extends TrustedKeyFlags {
  target?: string;
  output?: string;
  installDependencies?: boolean;
  prune?: boolean;
  allowInstallScripts?: boolean;
}

/**
 * Registers `archive restore ARCHIVE... [--target URL] [--output DIR]`. Precedence: flags, then
 * environment (ARCHIVE_PATH, TARGET_REPO_URL, RESTORE_OUTPUT_PATH, INSTALL_DEPENDENCIES), then the
 * config file's `restore.*`. The target token comes only from TARGET_TOKEN and reaches git through
 * the environment: never argv, the URL or `.git/config`.
 */
export function registerArchiveRestore(archive: Command): void {
  archive
    .command("restore")
    .description("verify an archive, rebuild the repository, install dependencies offline, push to a target")
    .argument("[archives...]", "archive file (default: $ARCHIVE_PATH)")
    .addOption(
      new Option("--target <url>", "push every branch, tag and LFS object here").env("TARGET_REPO_URL"),
    )
    .addOption(
      new Option("-o, --output <dir>", "directory that receives the repository (default ./restored)").env(
        "RESTORE_OUTPUT_PATH",
      ),
    )
    .option("--no-install-dependencies", "do not install carried dependencies (INSTALL_DEPENDENCIES=false)")
    .option("--allow-install-scripts", "let npm run package install scripts")
    .option("--prune", "delete target branches and tags the archive does not have (default: never delete)")
    .option(
      "--trusted-key <pub>",
      "minisign public key; the archive's .minisig must verify with it (verify.trusted_key)",
    )
    .option("--allow-legacy-signature", "accept legacy minisign 'Ed' signatures (not prehashed)")
    .action(async (archives: string[], flags: RestoreFlags, cmd: Command) => {
      const ctx = openContext("restore", globalsOf(cmd));
      const cfg = ctx.config.restore ?? {};
      const list = archives.length > 0 ? archives : ctx.env.ARCHIVE_PATH ? [ctx.env.ARCHIVE_PATH] : [];
      if (list.length === 0) {
        throw new UsageError("Cannot restore: no archive given. Pass ARCHIVE or set ARCHIVE_PATH");
      }
      if (list.length > 1) {
        throw new UsageError(
          "Cannot restore several archives yet: archive chains arrive with incremental archives",
        );
      }
      const target = resolveValue<string | undefined>(cmd, "target", cfg.target_url, undefined) || undefined;
      const output = resolveValue(cmd, "output", cfg.output_path, "./restored");
      const installDependencies = resolveFlag(cmd, "installDependencies", {
        env: ctx.env,
        envName: "INSTALL_DEPENDENCIES",
        config: cfg.install_dependencies,
        fallback: true,
      });
      const token = ctx.env.TARGET_TOKEN || undefined;
      redactor.add(token);
      const t = ctx.terminal;
      printRestoreHeader(t, { sessionId: ctx.sessionId, target, output });
      // Authenticity first, on the raw bytes: nothing is decompressed before the signature holds.
      const sigOptions = signatureCheckOptions(ctx, flags);
      const signature = await checkArchiveSignature(list[0], sigOptions);
      const guard = await openGuard("archive restore", [{ dir: output, role: "output directory" }]);
      const stale = removeStaleStaging(output);
      if (stale.length) ctx.logger.child("archive_restore").info("Removed stale staging", { removed: stale });
      const render = restoreEventRenderer(t);
      const restoring = restoreArchive(list[0], {
        outputDir: output,
        target,
        targetAuth: token ? { token, username: ctx.env.TARGET_USERNAME || undefined } : undefined,
        prune: flags.prune ?? false,
        installDependencies,
        dependencies: { env: ctx.env, allowInstallScripts: flags.allowInstallScripts ?? false },
        logger: ctx.logger,
        onEvent: (e) => render(e.kind === "verify:done" ? { ...e, report: { ...e.report, signature } } : e),
        onVerified: (manifest) => checkSignedManifest(signature, manifest, list[0]),
        signal: guard.signal,
      });
      const result = await guard.run(() => restoring);
      await recordRestoredSequence(signature, { stateDir: sigOptions.stateDir });
      printRestoreSummary(t, result, ctx.logFile);
      t.result({
        status: "success",
        session_id: ctx.sessionId,
        repository: result.repository,
        archive_id: result.manifest.archive_id,
        signature,
        refs: Object.keys(result.manifest.refs).length,
        lfs_objects: result.manifest.lfs.objects.length,
        dependencies: result.dependencies,
        pushed: result.pushed ?? null,
        timings_ms: result.timings,
        log_file: ctx.logFile,
      });
    });
}
