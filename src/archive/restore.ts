import { mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ArchiveError, UsageError, VerificationError } from "../errors.ts";
import { installDependencies } from "../deps/mod.ts";
import type { DependencyProgress, EcosystemResult, InstallDependenciesOptions } from "../deps/types.ts";
import type { GitAuth } from "../git/git.ts";
import { lfsAvailable } from "../git/lfs.ts";
import { assertFreeSpace, restoreSpaceEstimate } from "../fs/disk_space.ts";
import { lsRemote } from "../git/refs.ts";
import { refNameProblem } from "../git/safe_location.ts";
import { restoredEarlier } from "./restore_marker.ts";
import { type Logger, nullLogger } from "../log/logger.ts";
import { extractVerified } from "./extract.ts";
import type { Manifest } from "./manifest.ts";
import { type PushSummary, pushToTarget } from "./push_target.ts";
import { applyIncremental, checkOutHead, checkRepositoryBase, type RestoreLayer } from "./apply_layer.ts";
import { chainPositions, checkChain } from "./chain.ts";
import {
  assertFreeDestination,
  rebuildRepository,
  type RebuiltRepository,
  refCounts,
} from "./rebuild_repo.ts";
import {
  assembleDependencies,
  assertSameManifest,
  deletedAlongChain,
  readChainLinks,
  refHistory,
} from "./restore_chain.ts";
import { isSafeRepositoryName, resolveTarget } from "./source.ts";
import type { VerifyReport } from "./verify.ts";
import { openVolumeSet, volumeIndexPathFor } from "./volumes.ts";

/** What `restoreArchive` reports as it goes; the CLI renders the spec's "Step i/5" lines. */
export type RestoreEvent =
  | { kind: "archive:start"; archive: string }
  | { kind: "chain:checked"; names: string[]; positions: string[]; into?: string }
  | { kind: "verify:start" }
  | { kind: "verify:done"; report: VerifyReport; ms: number; index?: number }
  | { kind: "restore:start" }
  | { kind: "restore:done"; dir: string; branches: number; tags: number; lfsObjects: number; ms: number }
  | { kind: "deps:start" }
  | { kind: "deps:skipped"; reason: string }
  | { kind: "deps:progress"; event: Parameters<DependencyProgress>[0] }
  | { kind: "deps:done"; results: EcosystemResult[]; packages: number; ms: number }
  | { kind: "push:start"; target: string }
  | { kind: "push:skipped"; reason: string }
  | ({ kind: "push:done"; ms: number } & PushSummary);

/** Options of {@link restoreArchive}. */
export interface RestoreArchiveOptions {
  /** Directory that receives `<repository name>/`. Default `./restored`. */
  outputDir?: string;
  /**
   * Apply the (incremental) archives onto this repository, restored earlier from their base, instead
   * of restoring into a new directory under `outputDir`. Default none.
   */
  into?: string;
  /** Where to push every branch and tag (URL or local repository path). Default none: no push. */
  target?: string;
  /** Credentials for the target (environment only, never argv, URL or .git/config). */
  targetAuth?: GitAuth;
  /** Delete target refs that the archive does not have. Default false: nothing is ever deleted. */
  prune?: boolean;
  /** Install carried dependencies offline (Step 4/5). Default true. */
  installDependencies?: boolean;
  /** Passed to `installDependencies`. */
  dependencies?: Omit<InstallDependenciesOptions, "logger" | "progress">;
  /** Root logger; records go to `repo_cloner.archive_restore`. Default none. */
  logger?: Logger;
  onEvent?: (event: RestoreEvent) => void;
  /**
   * Called with the manifest once the archive verified, before anything is rebuilt or pushed; a throw
   * stops the restore (staging removed). The CLI checks the signed fields here. Default none.
   */
  onVerified?: (manifest: Manifest, at: { index: number; archive: string }) => void | Promise<void>;
  signal?: AbortSignal;
  /** Base for relative paths. Default the process's working directory. */
  cwd?: string;
  /** Clock in ms. Default `performance.now`. */
  now?: () => number;
}

/** The outcome of {@link restoreArchive}. */
export interface RestoreArchiveResult {
  /** The restored repository. */
  repository: string;
  /** The last archive's manifest: the state the repository is now in. */
  manifest: Manifest;
  /** The last archive's verification report. */
  report: VerifyReport;
  /** Every archive's report, in order. */
  reports: VerifyReport[];
  /** Chain positions ("1/3 full", "2/3 incremental on <id>") when a chain or --into was restored. */
  chain?: string[];
  dependencies: EcosystemResult[];
  /** Present when a target was given. */
  pushed?: PushSummary;
  /** Step durations in ms. */
  timings: { verify: number; restore: number; dependencies: number; push: number; total: number };
}

/**
 * Restores `archives`: one full archive, or a chain — the full archive and its incrementals in order
 * — or, with `into`, incrementals applied onto a repository restored earlier. Before anything is
 * extracted or changed, the chain is checked from the manifests alone (`checkChain`: each base id is
 * its predecessor, in order, nothing missing) and, with `into`, the repository's refs must be the
 * base's ref state with the prerequisites present. Then each archive is verified and extracted into a
 * staging directory (refused on any integrity failure), the repository is rebuilt at `<output>/<name>`
 * (or updated in place) with every branch and tag and LFS content checked out from the local store,
 * dependencies are installed offline, and branches, tags and LFS objects are pushed to `target` —
 * moving a target ref only when it still holds a value the chain gave it earlier. A wrong target
 * token is found before any work (`ls-remote`). Staging is removed at the end and on failure.
 * @throws UsageError (bad target, exit 2), VerificationError (bad archive or broken chain, exit 3),
 *   AuthError (exit 5), ArchiveError (destination taken, push rejected: exit 1).
 */
export async function restoreArchive(
  archives: string | string[],
  options: RestoreArchiveOptions = {},
): Promise<RestoreArchiveResult> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const emit = options.onEvent ?? (() => {});
  const root = options.logger ?? nullLogger().root;
  const log = root.child("archive_restore");
  const gitLog = root.child("git_client");
  const cwd = options.cwd ?? process.cwd();
  const paths = (Array.isArray(archives) ? archives : [archives]).map((a) => resolve(cwd, a));
  if (paths.length === 0) {
    throw new UsageError("Cannot restore: no archive given. Pass ARCHIVE or set ARCHIVE_PATH");
  }
  const output = resolve(cwd, options.outputDir ?? "restored");
  const into = options.into === undefined ? undefined : resolve(cwd, options.into);
  const target = options.target ? resolveTarget(options.target, { cwd }) : undefined;
  const timings = { verify: 0, restore: 0, dependencies: 0, push: 0, total: 0 };
  log.info("Archive restoration started", {
    archive: paths.join(", "),
    target_url: target?.displayUrl,
    output: into ?? output,
  });

  // Step 1/5: the archives' manifests and their chain, the target's credentials — all before any change.
  emit({ kind: "archive:start", archive: paths.join(", ") });
  const links = await readChainLinks(paths);
  for (const l of links) assertSafeManifest(l.manifest);
  checkChain(links, { startsWithFull: into === undefined });
  const base = into ? await checkRepositoryBase(into, links[0], { logger: gitLog }) : undefined;
  if (links.length > 1 || into) {
    emit({ kind: "chain:checked", names: links.map((l) => l.name), positions: chainPositions(links), into });
    log.info("Archive chain checked", {
      archives: links.map((l) => l.name),
      archive_ids: links.map((l) => l.manifest.archive_id),
      into,
    });
  }
  if (target) await lsRemote(target.gitUrl, { auth: options.targetAuth, logger: gitLog });
  const haveLfs = await lfsAvailable({ logger: gitLog });
  // A rerun after a kill during dependencies or the push finds its own repository and carries on.
  const dest = join(output, links[0].manifest.repository.name);
  const resumed = !into && await restoredEarlier(dest, links[links.length - 1].manifest, { logger: gitLog });
  if (!into && !resumed) assertFreeDestination(dest);

  // Step 2/5: verify + extract each archive in one pass.
  emit({ kind: "verify:start" });
  let t = now();
  const stagingParent = into ? dirname(into) : output;
  mkdirSync(stagingParent, { recursive: true });
  const archiveBytes = paths.reduce((n, p) => n + (fileSize(p) ?? 0), 0);
  assertFreeSpace(stagingParent, restoreSpaceEstimate(archiveBytes), { action: `restore "${paths[0]}"` });
  const layers: RestoreLayer[] = [];
  const reports: VerifyReport[] = [];
  try {
    for (const [i, path] of paths.entries()) {
      const extracted = await extractVerified(path, stagingParent, {
        logger: root.child("archive_verify"),
        action: "restore",
      });
      layers.push({ name: links[i].name, stagingDir: extracted.stagingDir, manifest: extracted.manifest });
      reports.push(extracted.report);
      assertSameManifest(links[i], extracted.report.manifest_sha256);
      emit({ kind: "verify:done", report: extracted.report, ms: now() - t, index: i });
      await options.onVerified?.(extracted.manifest, { index: i, archive: path });
    }
    timings.verify = now() - t;
    options.signal?.throwIfAborted();
    const manifest = layers[layers.length - 1].manifest;

    // Step 3/5: rebuild the repository (or bring the one given with --into up to date).
    emit({ kind: "restore:start" });
    t = now();
    let rebuilt: RebuiltRepository;
    if (into) {
      for (const layer of layers) {
        await applyIncremental(into, layer, { logger: gitLog, signal: options.signal });
      }
      const counts = refCounts(manifest);
      await checkOutHead(into, manifest, {
        lfs: haveLfs,
        bare: base?.bare,
        lfsObjects: counts.lfsObjects,
        logger: gitLog,
        signal: options.signal,
      });
      rebuilt = { dir: into, ...counts };
    } else if (resumed) {
      rebuilt = { dir: dest, ...refCounts(manifest) };
      log.info("Repository already restored from this archive by an earlier run: carrying on", {
        repository: manifest.repository.name,
        location: dest,
      });
    } else {
      rebuilt = await rebuildRepository(layers, {
        parent: output,
        lfs: haveLfs,
        origin: target?.displayUrl,
        logger: gitLog,
        signal: options.signal,
      });
    }
    timings.restore = now() - t;
    log.info("Repository restored", {
      repository: manifest.repository.name,
      location: rebuilt.dir,
      archives: layers.length,
      branches_synced: rebuilt.branches,
      tags: rebuilt.tags,
      lfs_objects: rebuilt.lfsObjects,
      deleted_refs: manifest.deleted_refs.length,
      duration_seconds: timings.restore / 1000,
    });
    emit({ kind: "restore:done", ...rebuilt, ms: timings.restore });

    // Step 4/5: dependencies, offline.
    let deps: EcosystemResult[] = [];
    const unavailable = base?.bare
      ? "the repository is bare (no working tree to install into)"
      : assembleDependencies(layers);
    if (options.installDependencies === false || unavailable) {
      emit({
        kind: "deps:skipped",
        reason: unavailable ?? "turned off: --no-install-dependencies or INSTALL_DEPENDENCIES=false",
      });
    } else {
      emit({ kind: "deps:start" });
      t = now();
      deps = await installDependencies(
        rebuilt.dir,
        join(layers[layers.length - 1].stagingDir, "dependencies"),
        {
          ...options.dependencies,
          logger: root.child("deps"),
          progress: (event) => emit({ kind: "deps:progress", event }),
        },
      );
      timings.dependencies = now() - t;
      const packages = deps.reduce((n, d) => n + (d.status === "included" ? d.packages : 0), 0);
      emit({ kind: "deps:done", results: deps, packages, ms: timings.dependencies });
    }
    removeStaging(layers);

    // Step 5/5: push.
    let pushed: RestoreArchiveResult["pushed"];
    if (target) {
      emit({ kind: "push:start", target: target.displayUrl });
      t = now();
      const manifests = layers.map((l) => l.manifest);
      pushed = await pushToTarget(rebuilt.dir, target, {
        auth: options.targetAuth,
        prune: options.prune,
        lfsObjects: rebuilt.lfsObjects,
        history: refHistory(manifests, base?.refs),
        deleted: deletedAlongChain(manifests),
        shallow: layers[0].manifest.shallow ?? undefined,
        logger: gitLog,
        signal: options.signal,
      });
      timings.push = now() - t;
      log.info("Pushed to target", {
        repository: manifest.repository.name,
        target_url: target.displayUrl,
        branches_synced: rebuilt.branches,
        refs_updated: pushed.updated,
        refs_forced: pushed.forced,
        deleted_refs_kept: pushed.keptDeleted,
        lfs_objects: rebuilt.lfsObjects,
        duration_seconds: timings.push / 1000,
        status: "success",
      });
      emit({ kind: "push:done", ...pushed, ms: timings.push });
    } else {
      emit({ kind: "push:skipped", reason: "no --target given" });
    }
    timings.total = now() - started;
    log.info("Archive restoration completed", {
      repository: manifest.repository.name,
      location: rebuilt.dir,
      status: "success",
      duration_seconds: timings.total / 1000,
    });
    return {
      repository: rebuilt.dir,
      manifest,
      report: reports[reports.length - 1],
      reports,
      chain: links.length > 1 || into ? chainPositions(links) : undefined,
      dependencies: deps,
      pushed,
      timings,
    };
  } finally {
    removeStaging(layers);
  }
}

function removeStaging(layers: RestoreLayer[]): void {
  for (const l of layers) rmSync(l.stagingDir, { recursive: true, force: true });
}

/**
 * Refuses a manifest whose repository name or ref names would be unsafe to use (checked for every
 * archive before anything is extracted).
 */
function assertSafeManifest(manifest: Manifest): void {
  if (!isSafeRepositoryName(manifest.repository.name)) {
    throw new ArchiveError(
      `Cannot restore: the manifest's repository name "${manifest.repository.name}" is not safe`,
    );
  }
  for (const ref of [...Object.keys(manifest.refs), ...manifest.deleted_refs]) {
    const why = refNameProblem(ref);
    if (why) {
      throw new VerificationError(`Cannot restore: the archive carries ref ${JSON.stringify(ref)}: ${why}`, {
        entry: "manifest.json",
      });
    }
  }
}

function fileSize(path: string): number | undefined {
  try {
    return volumeIndexPathFor(path) ? openVolumeSet(path).index.size : statSync(path).size;
  } catch {
    return undefined; // extraction reports a missing or unreadable archive
  }
}
