import { type Command, Option } from "commander";
import { restoreArchive } from "../archive/restore.ts";
import { dirname, resolve } from "node:path";
import { UsageError } from "../errors.ts";
import { volumeIndexPathFor } from "../archive/volumes.ts";
import { redactor } from "../log/redact.ts";
import { printRestoreHeader, printRestoreSummary, restoreEventRenderer } from "./archive_restore_view.ts";
import { type CommandContext, openContext } from "./context.ts";
import { fetchRemoteArchives } from "./remote_archives.ts";
import { resolveFlag, resolveValue } from "./option_values.ts";
import { globalsOf } from "./program.ts";
import { openGuard } from "./guarded_run.ts";
import { signatureCheckOptions, type TrustedKeyFlags } from "./signature_options.ts";
import type { VerifyReport } from "../archive/verify.ts";
import {
  type ArchiveSignatureCheck,
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
  into?: string;
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
    .argument(
      "[archives...]",
      "archive file, or a chain in order: FULL INC1 INC2… (a split archive: its index or first volume; default: $ARCHIVE_PATH)",
    )
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
      "--into <repo>",
      "apply incremental archives onto this repository, restored earlier from their base",
    )
    .option(
      "--trusted-key <pub>",
      "minisign public key; the archive's .minisig must verify with it (verify.trusted_key)",
    )
    .option("--allow-legacy-signature", "accept legacy minisign 'Ed' signatures (not prehashed)")
    .action(async (archives: string[], flags: RestoreFlags, cmd: Command) => {
      const ctx = openContext("restore", globalsOf(cmd));
      const cfg = ctx.config.restore ?? {};
      const given = archives.length > 0 ? archives : ctx.env.ARCHIVE_PATH ? [ctx.env.ARCHIVE_PATH] : [];
      if (given.length === 0) {
        throw new UsageError("Cannot restore: no archive given. Pass ARCHIVE or set ARCHIVE_PATH");
      }
      // A split archive is named by its index (where its signature sits), whichever file was given.
      const wanted = given.map((a) => volumeIndexPathFor(a) ?? a);
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
      printRestoreHeader(t, { sessionId: ctx.sessionId, target, output: flags.into ?? output });
      const workDir = flags.into ? dirname(resolve(flags.into)) : output;
      // s3:// archives are streamed to a temporary directory beside the output, sidecars with them.
      const fetched = await fetchRemoteArchives(wanted, { env: ctx.env, under: workDir, terminal: t });
      try {
        await restoreFetched(ctx, fetched.paths, {
          flags,
          target,
          output,
          workDir,
          installDependencies,
          token,
        });
      } finally {
        fetched.cleanup();
      }
    });
}

/** What {@link restoreFetched} needs from the command line. */
interface RestoreRun {
  flags: RestoreFlags;
  target?: string;
  output: string;
  workDir: string;
  installDependencies: boolean;
  token?: string;
}

/** Signature checks, verification, restore and the summary, on local archive files. */
async function restoreFetched(ctx: CommandContext, list: string[], run: RestoreRun): Promise<void> {
  const { flags, target, output, workDir, installDependencies, token } = run;
  const t = ctx.terminal;
  // Authenticity first, on the raw bytes: nothing is decompressed before the signature holds.
  const sigOptions = signatureCheckOptions(ctx, flags);
  const signatures: ArchiveSignatureCheck[] = [];
  for (const a of list) signatures.push(await checkArchiveSignature(a, sigOptions));
  const signature = signatures[signatures.length - 1];
  const guard = await openGuard("archive restore", [{ dir: workDir, role: "output directory" }]);
  const stale = removeStaleStaging(workDir);
  if (stale.length) ctx.logger.child("archive_restore").info("Removed stale staging", { removed: stale });
  const render = restoreEventRenderer(t);
  const restoring = restoreArchive(list, {
    outputDir: output,
    into: flags.into,
    target,
    targetAuth: token ? { token, username: ctx.env.TARGET_USERNAME || undefined } : undefined,
    prune: flags.prune ?? false,
    installDependencies,
    dependencies: { env: ctx.env, allowInstallScripts: flags.allowInstallScripts ?? false },
    logger: ctx.logger,
    onEvent: (e) => {
      if (e.kind !== "verify:done") return render(e);
      // The check list shows the signature line first (printVerifyChecks reads report.signature).
      const report: VerifyReport & { signature?: ArchiveSignatureCheck } = {
        ...e.report,
        signature: signatures[e.index ?? 0],
      };
      render({ ...e, report });
    },
    onVerified: (manifest, at) => checkSignedManifest(signatures[at.index], manifest, list[at.index]),
    signal: guard.signal,
  });
  const result = await guard.run(() => restoring);
  for (const s of signatures) await recordRestoredSequence(s, { stateDir: sigOptions.stateDir });
  printRestoreSummary(t, result, ctx.logFile);
  t.result({
    status: "success",
    session_id: ctx.sessionId,
    repository: result.repository,
    archive_id: result.manifest.archive_id,
    archives: result.reports.map((r) => ({ archive: r.archive, archive_id: r.archive_id, type: r.type })),
    chain: result.chain ?? null,
    deleted_refs: result.manifest.deleted_refs,
    signature,
    refs: Object.keys(result.manifest.refs).length,
    lfs_objects: result.manifest.lfs.objects.length,
    dependencies: result.dependencies,
    pushed: result.pushed ?? null,
    timings_ms: result.timings,
    log_file: ctx.logFile,
  });
}
