import { type Command, Option } from "commander";
import { createArchive } from "../archive/create.ts";
import { UsageError } from "../errors.ts";
import { isS3Url, type Storage, storageFromUrl } from "../storage/mod.ts";
import { createEventRenderer, printCreateHeader, printCreateSummary } from "./archive_create_view.ts";
import { openContext } from "./context.ts";
import { publishArchiveMetrics } from "./archive_metrics.ts";
import { resolveFlag, resolveValue, sourceAuth } from "./option_values.ts";
import { globalsOf } from "./program.ts";
import { openGuard } from "./guarded_run.ts";
import { signingHook } from "./signature_options.ts";

interface CreateFlags {
  output?: string;
  type?: string;
  base?: string;
  name?: string;
  dependencies?: boolean;
  strictDependencies?: boolean;
  pythonVersion?: string;
  platform?: string[];
  onlyBinary?: string;
  lfs?: boolean;
  storage?: string;
  storagePath?: string;
  sign?: string;
  passwordFile?: string;
}

/**
 * Registers `archive create [SOURCE]`. Precedence: flags, then environment (SOURCE_REPO_URL,
 * ARCHIVE_OUTPUT_PATH, ARCHIVE_TYPE, INCLUDE_DEPENDENCIES, STORAGE_TYPE, STORAGE_PATH), then the
 * config file's `archive.*`. Source credentials come from SOURCE_TOKEN (or GITLAB_TOKEN/GITHUB_TOKEN
 * for their own hosts), never from the command line.
 */
export function registerArchiveCreate(archive: Command): void {
  archive
    .command("create")
    .description("clone a repository with branches, tags, LFS objects and dependencies into one archive")
    .argument("[source]", "repository URL or local path (default: $SOURCE_REPO_URL)")
    .addOption(
      new Option("-o, --output <dir>", "directory for the archive (default ./archives)").env(
        "ARCHIVE_OUTPUT_PATH",
      ),
    )
    .addOption(
      new Option("--type <type>", "archive type").choices(["full", "incremental"]).env("ARCHIVE_TYPE"),
    )
    .option("--base <archive>", "base archive of an incremental archive")
    .option("--name <name>", "repository name used in the archive name (default: from the source)")
    .option("--no-dependencies", "do not fetch dependencies (INCLUDE_DEPENDENCIES=false)")
    .option("--strict-dependencies", "fail instead of warning when dependencies cannot be fetched")
    .option(
      "--python-version <ver>",
      "pip download for this Python version on the air-gapped host (e.g. 3.9)",
    )
    .option(
      "--platform <tag>",
      "pip download for this platform tag, repeatable (e.g. manylinux2014_x86_64)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option("--only-binary <spec>", "pip --only-binary (default :all: with --python-version/--platform)")
    .option("--no-lfs", "leave Git LFS objects out")
    .addOption(
      new Option("--storage <type>", "copy the archive to storage").choices(["local", "s3"]).env(
        "STORAGE_TYPE",
      ),
    )
    .addOption(
      new Option("--storage-path <path>", "storage directory or s3://bucket/prefix").env("STORAGE_PATH"),
    )
    .option("--sign <key>", "sign the archive with this minisign secret key: writes <archive>.minisig")
    .option("--password-file <file>", "secret key passphrase file (default: $REPO_CLONER_KEY_PASSWORD)")
    .action(async (sourceArg: string | undefined, flags: CreateFlags, cmd: Command) => {
      const ctx = openContext("archive", globalsOf(cmd));
      const cfg = ctx.config.archive;
      const source = sourceArg ?? ctx.env.SOURCE_REPO_URL ?? "";
      if (!source.trim()) {
        throw new UsageError(
          "Cannot create archive: no source repository given. Pass SOURCE or set SOURCE_REPO_URL",
        );
      }
      const output = resolveValue(cmd, "output", cfg?.output_path, "./archives");
      const type = resolveValue(cmd, "type", cfg?.type, "full") as "full" | "incremental";
      if (!["full", "incremental"].includes(type)) {
        throw new UsageError(`Cannot create a "${type}" archive: use --type full or --type incremental`);
      }
      if (flags.base || ctx.config.archive?.base_archive) {
        throw new UsageError(
          "Cannot use --base: incremental archives are not supported yet; create a full archive",
        );
      }
      const includeDependencies = resolveFlag(cmd, "dependencies", {
        env: ctx.env,
        envName: "INCLUDE_DEPENDENCIES",
        config: cfg?.include_dependencies,
        fallback: true,
      });
      const includeLfs = cmd.getOptionValueSource("lfs") === "cli" ? false : cfg?.include_lfs ?? true;
      const storage = pickStorage(
        resolveValue<string | undefined>(cmd, "storage", cfg?.storage?.type, undefined),
        resolveValue<string | undefined>(cmd, "storagePath", cfg?.storage?.path, undefined),
        ctx.env,
      );
      const sign = flags.sign
        ? await signingHook(flags.sign, { passwordFile: flags.passwordFile, ctx })
        : undefined;
      const t = ctx.terminal;
      printCreateHeader(t, { sessionId: ctx.sessionId, source, type, output });
      const guard = await openGuard("archive create", [{ dir: output, role: "output directory" }]);
      const creating = createArchive(source, output, {
        type,
        name: flags.name,
        auth: sourceAuth(source, ctx.env),
        includeDependencies,
        dependencies: {
          strict: flags.strictDependencies ?? false,
          env: ctx.env,
          pip: {
            pythonVersion: flags.pythonVersion,
            platforms: flags.platform,
            onlyBinary: flags.onlyBinary,
          },
        },
        includeLfs,
        storage,
        logger: ctx.logger,
        onEvent: createEventRenderer(t),
        sign,
        signal: guard.signal,
      });
      const result = await guard.run(() => creating);
      printCreateSummary(t, result, ctx.logFile);
      await publishArchiveMetrics(ctx, {
        type: result.manifest.type,
        sizeBytes: result.size,
        durationSeconds: result.timings.archive / 1000,
      });
      t.result({
        status: "success",
        session_id: ctx.sessionId,
        archive: result.stored?.url ?? result.path,
        local_path: result.path,
        name: result.name,
        type: result.manifest.type,
        archive_id: result.manifest.archive_id,
        size: result.size,
        sha256: result.sha256,
        signature: result.signature
          ? {
            path: result.storedSignature?.url ?? result.signature.signaturePath,
            key_id: result.signature.keyId,
            seq: result.signature.seq,
          }
          : null,
        refs: Object.keys(result.manifest.refs).length,
        lfs_objects: result.manifest.lfs.objects.length,
        dependencies: result.dependencies,
        timings_ms: result.timings,
        report: result.report,
        log_file: ctx.logFile,
      });
    });
}

function pickStorage(
  type: string | undefined,
  path: string | undefined,
  env: Record<string, string | undefined>,
): Storage | undefined {
  if (!type && !path) return undefined;
  if (!path) throw new UsageError(`Cannot use --storage ${type}: no --storage-path (STORAGE_PATH) given`);
  const kind = type ?? (isS3Url(path) ? "s3" : "local");
  if (kind === "s3" && !isS3Url(path)) {
    throw new UsageError(`Cannot use --storage s3 with "${path}": give --storage-path s3://bucket/prefix`);
  }
  if (kind === "local" && isS3Url(path)) {
    throw new UsageError(`Cannot use --storage local with "${path}": use --storage s3 for s3:// locations`);
  }
  try {
    return storageFromUrl(path, { env });
  } catch (e) {
    if (e instanceof TypeError) throw new UsageError(e.message, { cause: e });
    throw e;
  }
}
