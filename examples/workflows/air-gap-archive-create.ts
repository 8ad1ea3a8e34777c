/**
 * Air-gap archive creation, the spec's `air-gap-archive-create` workflow in TypeScript. It calls the
 * same library code as `repo-cloner archive create`: clone with every branch, tag and LFS object,
 * fetch Python/Node.js dependencies, write the archive, copy it to storage, verify it.
 *
 *   export SOURCE_REPO_URL=https://gitlab.com/myorg/backend-api   # or a local path
 *   export ARCHIVE_OUTPUT_PATH=./archives ARCHIVE_TYPE=full INCLUDE_DEPENDENCIES=true
 *   export STORAGE_TYPE=local STORAGE_PATH=/mnt/usb/repo-archives  # or STORAGE_PATH=s3://bucket/prefix
 *   deno run -A examples/workflows/air-gap-archive-create.ts
 *
 * Source credentials: SOURCE_TOKEN (or GITLAB_TOKEN/GITHUB_TOKEN for their own hosts), sent to git
 * through the environment only. ARCHIVE_BASE names the base archive of an incremental one.
 */
import { createArchive } from "../../src/archive/create.ts";
import { publishArchiveMetrics } from "../../src/cli/archive_metrics.ts";
import {
  createEventRenderer,
  printCreateHeader,
  printCreateSummary,
} from "../../src/cli/archive_create_view.ts";
import { openContext } from "../../src/cli/context.ts";
import { envFlag, sourceAuth } from "../../src/cli/option_values.ts";
import { UsageError } from "../../src/errors.ts";
import { isS3Url, storageFromUrl } from "../../src/storage/mod.ts";
import { runWorkflow } from "./_run.ts";

await runWorkflow(async () => {
  const ctx = openContext("archive", {});
  const env = ctx.env;
  const source = env.SOURCE_REPO_URL ?? "";
  if (!source) throw new UsageError("Cannot create archive: SOURCE_REPO_URL is not set");
  const output = env.ARCHIVE_OUTPUT_PATH || "./archives";
  const type = (env.ARCHIVE_TYPE || "full") as "full" | "incremental";
  if (type !== "full" && type !== "incremental") {
    throw new UsageError(`Cannot create a "${type}" archive: set ARCHIVE_TYPE to full or incremental`);
  }
  const storagePath = env.STORAGE_PATH || undefined;
  if (storagePath && (env.STORAGE_TYPE === "s3") !== isS3Url(storagePath)) {
    throw new UsageError(`Cannot use STORAGE_TYPE=${env.STORAGE_TYPE} with STORAGE_PATH="${storagePath}"`);
  }

  const t = ctx.terminal;
  printCreateHeader(t, { sessionId: ctx.sessionId, source, type, output });
  const result = await createArchive(source, output, {
    type,
    base: env.ARCHIVE_BASE || undefined,
    env,
    auth: sourceAuth(source, env),
    includeDependencies: envFlag(env, "INCLUDE_DEPENDENCIES") ?? true,
    dependencies: { env },
    storage: storagePath ? storageFromUrl(storagePath, { env }) : undefined,
    logger: ctx.logger,
    onEvent: createEventRenderer(t), // 📥 Step 1/5 … ✓ Step 5/5, as the binary prints them
  });
  printCreateSummary(t, result, ctx.logFile);
  await publishArchiveMetrics(ctx, {
    type: result.manifest.type,
    sizeBytes: result.size,
    durationSeconds: result.timings.archive / 1000,
  });
});
