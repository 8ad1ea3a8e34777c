import { type Command, Option } from "commander";
import { createArchive } from "../archive/create.ts";
import { parseSize } from "../archive/size_limit.ts";
import { repositoryName } from "../archive/source.ts";
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
  depth?: string;
  maxSize?: string;
  splitSize?: string;
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
    .option(
      "--base <archive>",
      "previous archive (path, s3://…, split index) or its manifest.json: makes an incremental archive",
    )
    .option("--depth <n>", "cut the history at N commits per branch and tag (shallow; full archives only)")
    .option(
      "--max-size <size>",
      "fail early when the archive would exceed this size, e.g. 2G (archive.max_size)",
    )
    .option("--split-size <size>", "write volumes smaller than this, e.g. 4G for FAT32, plus an index")
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
      const typeGiven = ["cli", "env"].includes(cmd.getOptionValueSource("type") ?? "");
      // --base alone means an incremental archive; the config's base_archive applies only to incrementals.
      const type =
        (flags.base && !typeGiven ? "incremental" : resolveValue(cmd, "type", cfg?.type, "full")) as
          | "full"
          | "incremental";
      if (!["full", "incremental"].includes(type)) {
        throw new UsageError(`Cannot create a "${type}" archive: use --type full or --type incremental`);
      }
      const base = flags.base ?? (type === "incremental" ? cfg?.base_archive : undefined);
      const sizes = archiveSizes(cmd, flags, cfg);
      const depth = archiveDepth(flags.depth, type, source, ctx.config.repositories);
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
      printCreateHeader(t, { sessionId: ctx.sessionId, source, type, output, base, depth, ...sizes });
      const guard = await openGuard("archive create", [{ dir: output, role: "output directory" }]);
      const creating = createArchive(source, output, {
        type,
        base,
        env: ctx.env,
        depth,
        maxSize: sizes.maxSize,
        splitSize: sizes.splitSize,
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
        volumes: result.volumes?.map((v) => ({ path: v.path, size: v.size, sha256: v.sha256 })) ?? null,
        base: result.manifest.base,
        shallow: result.manifest.shallow,
        bundle_empty: result.manifest.bundle.empty,
        deleted_refs: result.manifest.deleted_refs,
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

function archiveSizes(
  cmd: Command,
  flags: CreateFlags,
  cfg: { max_size?: string | number; split_size?: string | number } | undefined,
): { maxSize?: number; splitSize?: number } {
  const parse = (value: string | number | undefined, what: string) => {
    if (value === undefined) return undefined;
    try {
      return parseSize(value, what);
    } catch (e) {
      throw new UsageError((e as Error).message, { cause: e });
    }
  };
  const fromCli = (key: string) => cmd.getOptionValueSource(key) === "cli";
  return {
    maxSize: parse(fromCli("maxSize") ? flags.maxSize : cfg?.max_size, "--max-size (archive.max_size)"),
    splitSize: parse(
      fromCli("splitSize") ? flags.splitSize : cfg?.split_size,
      "--split-size (archive.split_size)",
    ),
  };
}

/**
 * `--depth N`, else the config's `repositories[].shallow_clone_depth` of the entry whose `source` is
 * this source or names the same repository (full archives only: an incremental carries what is new).
 */
function archiveDepth(
  flag: string | undefined,
  type: string,
  source: string,
  repositories: Array<{ source: string; shallow_clone_depth?: number }> | undefined,
): number | undefined {
  if (flag !== undefined) {
    const n = Number(flag);
    if (!/^\d+$/.test(flag.trim()) || !Number.isSafeInteger(n) || n < 1) {
      throw new UsageError(`Cannot use --depth "${flag}": give a positive whole number of commits`);
    }
    return n;
  }
  if (type !== "full") return undefined;
  const name = repositoryName(source);
  const entry = repositories?.find((r) =>
    r.shallow_clone_depth !== undefined && (r.source === source || repositoryName(r.source) === name)
  );
  return entry?.shallow_clone_depth;
}
