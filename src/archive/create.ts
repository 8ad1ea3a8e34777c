import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ArchiveError, UsageError } from "../errors.ts";
import { fetchDependencies } from "../deps/mod.ts";
import type { DependencyProgress, EcosystemResult, FetchDependenciesOptions } from "../deps/types.ts";
import type { GitAuth } from "../git/git.ts";
import { type Logger, nullLogger } from "../log/logger.ts";
import { timestamp } from "../log/session.ts";
import { putFile, type PutResult, type Storage } from "../storage/mod.ts";
import { archiveSpaceEstimate, assertFreeSpace } from "../fs/disk_space.ts";
import { type ArchiveSigned, SIGNATURE_SUFFIX } from "./archive_signature.ts";
import { chainLfs, readArchiveBase } from "./base_archive.ts";
import { stageArchive } from "./stage_archive.ts";
import { writeReportBeside } from "../report/write_report.ts";
import { cloneSource } from "./clone_source.ts";
import type { Manifest } from "./manifest.ts";
import { resolveSource } from "./source.ts";
import { archiveTooLarge, formatSize } from "./size_limit.ts";
import type { WrittenVolume } from "./volume_writer.ts";
import { archiveTargets, firstExisting, writeArchive } from "./write_archive.ts";
import { verifyArchive, type VerifyReport } from "./verify.ts";

/** What `createArchive` reports as it goes; the CLI renders these as the spec's "Step i/5" lines. */
export type CreateEvent =
  | { kind: "clone:start"; source: string }
  | { kind: "clone:done"; branches: number; tags: number; lfsObjects: number; lfsBytes: number; ms: number }
  | { kind: "deps:start" }
  | { kind: "deps:skipped"; reason: string }
  | { kind: "deps:progress"; event: Parameters<DependencyProgress>[0] }
  | { kind: "deps:done"; results: EcosystemResult[]; packages: number; ms: number }
  | { kind: "archive:start"; type: "full" | "incremental" }
  | { kind: "archive:done"; name: string; path: string; size: number; volumes?: number; ms: number }
  | { kind: "sign:done"; signaturePath: string; keyId: string; seq: number }
  | { kind: "upload:start"; storage: "local" | "s3"; location: string }
  | { kind: "upload:skipped"; reason: string }
  | { kind: "upload:done"; url: string; ms: number }
  | { kind: "verify:start" }
  | { kind: "verify:skipped"; reason: string }
  | { kind: "verify:done"; report: VerifyReport; ms: number };

/** Options of {@link createArchive}. */
export interface CreateArchiveOptions {
  /** Archive type. Default "full"; "incremental" needs `base`. */
  type?: "full" | "incremental";
  /**
   * Incremental: the previous archive of the chain (local path, split index or first volume,
   * `s3://…`) or just its manifest.json. Required for, and only allowed with, type "incremental".
   */
  base?: string;
  /** Environment for reading an `s3://` base (credentials, endpoint). Default process.env. */
  env?: Record<string, string | undefined>;
  /** Cut the history at this many commits per branch and tag (`--depth`). Full archives only. */
  depth?: number;
  /** Largest archive size in bytes (`archive.max_size`); creation fails early beyond it. Default none. */
  maxSize?: number;
  /** Write volumes smaller than this many bytes plus an index (`--split-size`). Default one file. */
  splitSize?: number;
  /** Repository name in the archive name and manifest. Default: from the source URL or path. */
  name?: string;
  /**
   * The source URL the manifest records (without credentials), when `source` is a local copy of it,
   * e.g. sync's mirror cache. Default: `source` itself.
   */
  sourceUrl?: string;
  /** Credentials for the source (reach git through the environment only). Default none. */
  auth?: GitAuth;
  /** Run the dependencies step (Step 2/5). Default true. */
  includeDependencies?: boolean;
  /** Passed to `fetchDependencies` (strict mode, pip pass-through, env). */
  dependencies?: Omit<FetchDependenciesOptions, "logger" | "progress">;
  /** Carry LFS objects when the repository uses LFS. Default true. */
  includeLfs?: boolean;
  /** Where to copy the finished archive (Step 4/5). Default none (step skipped). */
  storage?: Storage;
  /**
   * Signs the written archive before it gets its final name (`archive create --sign`): `file` is the
   * `.partial`, `info.name` the final name, `info.signaturePath` where to write. The signature is
   * committed as `<archive>.minisig` right after the archive and copied to storage beside it.
   * Default none.
   */
  sign?: (
    file: string,
    info: { name: string; manifest: Manifest; signaturePath: string },
  ) => Promise<ArchiveSigned>;
  /** Verify the archive at the end (Step 5/5). Default true. */
  verify?: boolean;
  /** Parent of the temporary working directory (clone, bundle, staging). Default `os.tmpdir()`. */
  workDir?: string;
  /** gzip level. Default 6. */
  gzipLevel?: number;
  /** Clock. Default `() => new Date()`. The archive name's stamp is taken once, at the start. */
  now?: () => Date;
  /** Root logger; records go to `repo_cloner.archive_create`. Default none. */
  logger?: Logger;
  /** Progress events for the terminal view. */
  onEvent?: (event: CreateEvent) => void;
  signal?: AbortSignal;
  /** Working directory for a relative source path. Default the process's. */
  cwd?: string;
}

/** The outcome of {@link createArchive}. */
export interface CreateArchiveResult {
  /** File name, `<repo>-<type>-<YYYYMMDD-HHMMSS>.tar.gz` (`….tar.gz.volumes.json` when split). */
  name: string;
  /** Absolute path of the archive (or of the volume index) in the output directory. */
  path: string;
  /** Size and sha256 of the `.tar.gz` stream (all volumes together when split). */
  size: number;
  sha256: string;
  /** The volumes of a split archive, in order. */
  volumes?: WrittenVolume[];
  manifest: Manifest;
  /** Where storage put it, when a storage was given. */
  stored?: PutResult;
  /** The signature (`signaturePath` is `<path>.minisig`), when `sign` was given. */
  signature?: ArchiveSigned;
  /** Where storage put the signature. */
  storedSignature?: PutResult;
  /** The verification report, unless verification was turned off. */
  verification?: VerifyReport;
  /** `<path>.report.html`, the transfer review report (unless writing it failed: a WARNING is logged). */
  report?: string;
  dependencies: EcosystemResult[];
  /** Step durations in ms. */
  timings: {
    clone: number;
    dependencies: number;
    archive: number;
    upload: number;
    verify: number;
    total: number;
  };
}

/**
 * Creates a full archive of the repository at `source` (URL or local path) in `outputDir`:
 * clone (branches, tags, LFS) → dependencies → `repo.bundle` + `restore-scripts/` + `manifest.json`
 * streamed into `<name>.partial`, fsynced, committed to its final name without replacing anything →
 * copied to `storage` → verified. A failure or crash never leaves a file with the final name; the
 * temporary working directory is removed in every case.
 * @throws UsageError for a bad source or type; AuthError/TransientError from git; ArchiveError when a
 *   step fails; VerificationError when the written archive does not verify.
 */
export async function createArchive(
  source: string,
  outputDir: string,
  options: CreateArchiveOptions = {},
): Promise<CreateArchiveResult> {
  const type = options.type ?? "full";
  checkCreateOptions(type, options);
  const now = options.now ?? (() => new Date());
  const started = now();
  const clock = () => now().getTime();
  const emit = options.onEvent ?? (() => {});
  const log = (options.logger ?? nullLogger().root).child("archive_create");
  const gitLog = (options.logger ?? nullLogger().root).child("git_client");
  const repo = resolveSource(source, { cwd: options.cwd, name: options.name });
  if (options.sourceUrl !== undefined) repo.recordedUrl = recordableUrl(options.sourceUrl);
  const output = resolve(options.cwd ?? process.cwd(), outputDir);
  const name = `${repo.name}-${type}-${timestamp(started)}.tar.gz`;
  const finalPath = join(output, name);
  const taken = firstExisting(archiveTargets(output, name, options.splitSize !== undefined));
  if (taken) {
    throw new ArchiveError(
      `Cannot create "${taken}": it already exists. Wait a second or use another --output`,
    );
  }
  const base = options.base === undefined
    ? undefined
    : await readArchiveBase(options.base, { cwd: options.cwd, env: options.env });
  if (base && base.manifest.repository.name !== repo.name) {
    throw new UsageError(
      `Cannot create an incremental archive of "${repo.name}" on base "${options.base}": the base is an ` +
        `archive of "${base.manifest.repository.name}". Give the previous archive of the same repository`,
    );
  }
  log.info("Archive creation started", {
    repository: repo.name,
    source_url: repo.recordedUrl,
    archive_type: type,
    base_archive_id: base?.manifest.archive_id,
  });
  mkdirSync(output, { recursive: true });
  const work = mkdtempSync(join(options.workDir ?? tmpdir(), "repo-cloner-create-"));
  const timings = { clone: 0, dependencies: 0, archive: 0, upload: 0, verify: 0, total: 0 };
  try {
    // Step 1/5: clone.
    emit({ kind: "clone:start", source: repo.recordedUrl });
    let t = clock();
    const cloned = await cloneSource(repo, work, {
      auth: options.auth,
      includeLfs: options.includeLfs,
      logger: gitLog,
      signal: options.signal,
      depth: options.depth,
      base: base && {
        tips: Object.values(base.manifest.refs),
        lfsOids: new Set(chainLfs(base.manifest).keys()),
      },
    });
    timings.clone = clock() - t;
    const lfsBytes = cloned.lfs.reduce((n, o) => n + o.size, 0);
    log.info("Repository cloned", {
      repository: repo.name,
      branches_synced: cloned.branches,
      tags: cloned.tags,
      lfs_objects: cloned.lfs.length,
      ...(base
        ? {
          // Base tips the source no longer has (force-pushed, deleted) cannot be excluded from the bundle.
          base_tips_unknown: new Set(Object.values(base.manifest.refs)).size - cloned.knownBaseTips.length,
        }
        : {}),
      duration_seconds: timings.clone / 1000,
    });
    emit({
      kind: "clone:done",
      branches: cloned.branches,
      tags: cloned.tags,
      lfsObjects: cloned.lfs.length,
      lfsBytes,
      ms: timings.clone,
    });

    // Step 2/5: dependencies.
    const stage = join(work, "stage");
    mkdirSync(join(stage, "dependencies"), { recursive: true });
    mkdirSync(join(stage, "restore-scripts"), { recursive: true });
    let deps: EcosystemResult[] = [];
    if (options.includeDependencies === false) {
      emit({ kind: "deps:skipped", reason: "turned off: --no-dependencies or INCLUDE_DEPENDENCIES=false" });
      log.info("Dependencies skipped", { repository: repo.name, reason: "disabled" });
    } else {
      emit({ kind: "deps:start" });
      t = clock();
      deps = await fetchDependencies(cloned.gitDir, join(stage, "dependencies"), {
        ...options.dependencies,
        logger: log.root.child("deps"),
        progress: (event) => emit({ kind: "deps:progress", event }),
      });
      timings.dependencies = clock() - t;
      const packages = deps.reduce((n, d) => n + (d.status === "included" ? d.packages : 0), 0);
      emit({ kind: "deps:done", results: deps, packages, ms: timings.dependencies });
    }

    // Step 3/5: bundle (compressed ahead) and review data side by side, scripts, manifest, archive.
    emit({ kind: "archive:start", type });
    t = clock();
    const mtime = new Date(Math.floor(started.getTime() / 1000) * 1000);
    const { manifest, review, entries } = await stageArchive(stage, cloned, {
      type,
      name: repo.name,
      url: repo.recordedUrl,
      createdAt: started,
      deps,
      base,
      depth: options.depth,
      scratchDir: work,
      mtime,
      gzipLevel: options.gzipLevel,
      maxSize: options.maxSize,
      logger: log.root.child("report"),
      signal: options.signal,
    });
    checkEstimate(manifest, repo.name, options.maxSize, log);
    assertFreeSpace(output, archiveSpaceEstimate(manifest.files.reduce((n, f) => n + f.size, 0)), {
      action: `create archive "${name}"`,
    });
    const written = await writeArchive(output, name, {
      repository: repo.name,
      manifest,
      entries,
      mtime,
      gzipLevel: options.gzipLevel,
      maxBytes: options.maxSize,
      splitBytes: options.splitSize,
      sign: options.sign,
      signal: options.signal,
    });
    const signature = written.signature;
    const sigFinal = signature?.signaturePath ?? "";
    timings.archive = clock() - t;
    log.info("Archive created", {
      repository: repo.name,
      archive: name,
      path: written.path,
      volumes: written.volumes?.length,
      size_bytes: written.size,
      sha256: written.sha256,
      duration_seconds: timings.archive / 1000,
    });
    emit({
      kind: "archive:done",
      name: written.name,
      path: written.path,
      size: written.size,
      volumes: written.volumes?.length,
      ms: timings.archive,
    });
    if (signature) {
      log.info("Archive signed", {
        archive: name,
        signature: sigFinal,
        key_id: signature.keyId,
        sequence: signature.seq,
      });
      emit({ kind: "sign:done", signaturePath: sigFinal, keyId: signature.keyId, seq: signature.seq });
    }

    // Step 4/5: storage.
    let stored: PutResult | undefined;
    let storedSignature: PutResult | undefined;
    if (options.storage) {
      emit({ kind: "upload:start", storage: options.storage.kind, location: options.storage.location });
      t = clock();
      for (const f of written.files) {
        await putFile(options.storage, f.name, {
          file: f.path,
          sha256: f.sha256,
          size: f.size,
          signal: options.signal,
        });
      }
      stored = await putFile(options.storage, written.name, {
        file: written.path,
        sha256: written.volumes ? undefined : written.sha256,
        signal: options.signal,
      });
      if (signature) {
        storedSignature = await putSignature(
          options.storage,
          written.name + SIGNATURE_SUFFIX,
          sigFinal,
          options.signal,
        );
      }
      timings.upload = clock() - t;
      log.info("Archive uploaded", {
        archive: name,
        storage: options.storage.kind,
        url: stored.url,
        duration_seconds: timings.upload / 1000,
      });
      emit({ kind: "upload:done", url: stored.url, ms: timings.upload });
    } else {
      emit({ kind: "upload:skipped", reason: "no --storage given" });
    }

    // Step 5/5: verify what will be carried (the stored copy when it is a local file).
    let verification: VerifyReport | undefined;
    if (options.verify === false) {
      emit({ kind: "verify:skipped", reason: "verification turned off" });
    } else {
      emit({ kind: "verify:start" });
      t = clock();
      const target = stored && options.storage?.kind === "local" ? stored.url : written.path;
      verification = await verifyArchive(target, { logger: log.root.child("archive_verify") });
      timings.verify = clock() - t;
      emit({ kind: "verify:done", report: verification, ms: timings.verify });
    }
    const report = await writeReportBeside(finalPath, {
      manifest,
      review,
      sha256: written.sha256,
      size: written.size,
      verified: verification !== undefined,
      signatureKeyId: signature?.keyId,
    }).then((r) => r.path, (e) => {
      log.warning(`Cannot write the review report: ${(e as Error).message}`, { archive: name });
      return undefined;
    });
    timings.total = clock() - started.getTime();
    log.info("Archive creation completed", {
      repository: repo.name,
      archive: name,
      status: "success",
      duration_seconds: timings.total / 1000,
    });
    return {
      name: written.name,
      path: written.path,
      size: written.size,
      sha256: written.sha256,
      volumes: written.volumes,
      manifest,
      stored,
      signature,
      storedSignature,
      verification,
      report,
      dependencies: deps,
      timings,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A URL fit for the manifest: no user info. @throws UsageError otherwise. */
function recordableUrl(url: string): string {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*@/.test(url)) {
    throw new UsageError(
      `Cannot record source URL "${url.replace(/\/\/[^/]*@/, "//***@")}": it carries credentials`,
    );
  }
  return url;
}

async function putSignature(storage: Storage, key: string, file: string, signal?: AbortSignal) {
  const bytes = readFileSync(file);
  return await putFile(storage, key, {
    file,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    size: bytes.length,
    signal,
  });
}

function checkCreateOptions(type: string, options: CreateArchiveOptions): void {
  if (type === "incremental" && !options.base) {
    throw new UsageError(
      "Cannot create an incremental archive: no base given. Pass --base PREVIOUS_ARCHIVE (or its manifest.json), " +
        "or set archive.base_archive",
    );
  }
  if (type === "full" && options.base) {
    throw new UsageError("Cannot use a base archive for a full archive: pass --type incremental with --base");
  }
  if (type === "incremental" && options.depth !== undefined) {
    throw new UsageError(
      "Cannot cut the history (--depth) of an incremental archive: it carries only what is new since its base. " +
        "Use --depth for the full archive that starts the chain",
    );
  }
  for (
    const [key, value] of [["depth", options.depth], ["maxSize", options.maxSize], [
      "splitSize",
      options.splitSize,
    ]]
  ) {
    if (value !== undefined && (!Number.isSafeInteger(value) || (value as number) < 1)) {
      throw new UsageError(`Cannot create archive: ${key} must be a positive whole number (got ${value})`);
    }
  }
}

/**
 * Fails before anything is written when the archive cannot fit `maxSize`: its git bundle (a pack,
 * already compressed, so gzip cannot shrink it) alone passes the limit. LFS objects and dependency
 * files may still compress, so they count only while writing (`writeArchive` stops there).
 */
function checkEstimate(
  manifest: Manifest,
  name: string,
  maxSize: number | undefined,
  log: ReturnType<Logger["child"]>,
): void {
  const total = manifest.files.reduce((n, f) => n + f.size, 0);
  log.info("Archive size estimated", {
    repository: name,
    bundle_bytes: manifest.bundle.size,
    content_bytes: total,
    max_size_bytes: maxSize,
  });
  if (maxSize !== undefined && manifest.bundle.size > maxSize) {
    throw archiveTooLarge({
      name,
      limit: maxSize,
      detail: `needs at least ${formatSize(manifest.bundle.size)} (its git bundle alone; ${
        formatSize(total)
      } uncompressed in all)`,
    });
  }
}
