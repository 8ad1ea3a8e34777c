/**
 * Air-gap archive restoration, the spec's `air-gap-archive-restore` workflow in TypeScript. It calls
 * the same library code as `repo-cloner archive restore`: check the signature policy, verify every
 * entry, rebuild the repository with its LFS objects, install dependencies offline, push to the target.
 *
 *   export ARCHIVE_PATH=/data/imported-archives/backend-api-full-20251013-140000.tar.gz
 *   export TARGET_REPO_URL=https://git.internal.company.com/backend/api TARGET_TOKEN=…
 *   export RESTORE_OUTPUT_PATH=./restored INSTALL_DEPENDENCIES=true
 *   deno run -A examples/workflows/air-gap-archive-restore.ts
 *
 * TARGET_TOKEN reaches git through the environment only (never argv, URL or .git/config). With
 * REPO_CLONER_CONFIG, `verify.signature` / `verify.trusted_key` apply as for the binary.
 */
import {
  type ArchiveSignatureCheck,
  checkArchiveSignature,
  checkSignedManifest,
  recordRestoredSequence,
} from "../../src/archive/archive_signature.ts";
import { restoreArchive } from "../../src/archive/restore.ts";
import type { VerifyReport } from "../../src/archive/verify.ts";
import { volumeIndexPathFor } from "../../src/archive/volumes.ts";
import {
  printRestoreHeader,
  printRestoreSummary,
  restoreEventRenderer,
} from "../../src/cli/archive_restore_view.ts";
import { openContext } from "../../src/cli/context.ts";
import { envFlag } from "../../src/cli/option_values.ts";
import { signatureCheckOptions } from "../../src/cli/signature_options.ts";
import { UsageError } from "../../src/errors.ts";
import { redactor } from "../../src/log/redact.ts";
import { runWorkflow } from "./_run.ts";

await runWorkflow(async () => {
  const ctx = openContext("restore", { config: process.env.REPO_CLONER_CONFIG || undefined });
  const env = ctx.env;
  if (!env.ARCHIVE_PATH) throw new UsageError("Cannot restore: ARCHIVE_PATH is not set");
  // A split archive is named by its index (where its signature sits), whichever volume was given.
  const archive = volumeIndexPathFor(env.ARCHIVE_PATH) ?? env.ARCHIVE_PATH;
  const target = env.TARGET_REPO_URL || undefined;
  const output = env.RESTORE_OUTPUT_PATH || "./restored";
  const token = env.TARGET_TOKEN || undefined;
  redactor.add(token);

  const t = ctx.terminal;
  printRestoreHeader(t, { sessionId: ctx.sessionId, target, output });
  // Authenticity first, on the raw bytes: nothing is decompressed before the signature policy holds.
  const sigOptions = signatureCheckOptions(ctx, {});
  const signature = await checkArchiveSignature(archive, sigOptions);
  const render = restoreEventRenderer(t); // 📄 Step 1/5 … 🚀 Step 5/5, as the binary prints them
  const result = await restoreArchive(archive, {
    outputDir: output,
    target,
    targetAuth: token ? { token, username: env.TARGET_USERNAME || undefined } : undefined,
    installDependencies: envFlag(env, "INSTALL_DEPENDENCIES") ?? true,
    dependencies: { env },
    logger: ctx.logger,
    onEvent: (e) => {
      if (e.kind !== "verify:done") return render(e);
      // The check list shows the signature line first (printVerifyChecks reads report.signature).
      const report: VerifyReport & { signature?: ArchiveSignatureCheck } = { ...e.report, signature };
      render({ ...e, report });
    },
    onVerified: (manifest) => checkSignedManifest(signature, manifest, archive),
  });
  await recordRestoredSequence(signature, { stateDir: sigOptions.stateDir });
  printRestoreSummary(t, result, ctx.logFile);
});
