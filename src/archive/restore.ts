import { mkdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ArchiveError, UsageError, VerificationError } from "../errors.ts";
import { installDependencies } from "../deps/mod.ts";
import type { DependencyProgress, EcosystemResult, InstallDependenciesOptions } from "../deps/types.ts";
import type { GitAuth } from "../git/git.ts";
import { lfsAvailable } from "../git/lfs.ts";
import { assertFreeSpace, restoreSpaceEstimate } from "../fs/disk_space.ts";
import { lsRemote } from "../git/refs.ts";
import { refNameProblem } from "../git/safe_location.ts";
import { type Logger, nullLogger } from "../log/logger.ts";
import { extractVerified } from "./extract.ts";
import type { Manifest } from "./manifest.ts";
import { type PushSummary, pushToTarget } from "./push_target.ts";
import { assertFreeDestination, rebuildRepository } from "./rebuild_repo.ts";
import { isSafeRepositoryName, resolveTarget } from "./source.ts";
import type { VerifyReport } from "./verify.ts";

/** What `restoreArchive` reports as it goes; the CLI renders the spec's "Step i/5" lines. */
export type RestoreEvent =
  | { kind: "archive:start"; archive: string }
  | { kind: "verify:start" }
  | { kind: "verify:done"; report: VerifyReport; ms: number }
  | { kind: "restore:start" }
  | { kind: "restore:done"; dir: string; branches: number; tags: number; lfsObjects: number; ms: number }
  | { kind: "deps:start" }
  | { kind: "deps:skipped"; reason: string }
  | { kind: "deps:progress"; event: Parameters<DependencyProgress>[0] }
  | { kind: "deps:done"; results: EcosystemResult[]; packages: number; ms: number }
  | { kind: "push:start"; target: string }
  | { kind: "push:skipped"; reason: string }
  | { kind: "push:done"; target: string; refs: number; updated: number; lfsObjects: number; ms: number };

/** Options of {@link restoreArchive}. */
export interface RestoreArchiveOptions {
  /** Directory that receives `<repository name>/`. Default `./restored`. */
  outputDir?: string;
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
  onVerified?: (manifest: Manifest) => void | Promise<void>;
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
  manifest: Manifest;
  report: VerifyReport;
  dependencies: EcosystemResult[];
  /** Present when a target was given. */
  pushed?: PushSummary;
  /** Step durations in ms. */
  timings: { verify: number; restore: number; dependencies: number; push: number; total: number };
}

/**
 * Restores `archive`: verify and extract it into a staging directory inside the output directory
 * (refusing it on any integrity failure), rebuild the repository at `<output>/<name>` with every
 * branch and tag, LFS content checked out from the local store, install dependencies offline, then
 * push branches, tags and LFS objects to `target`. A wrong target token is found before any work
 * (`ls-remote`) and fails at once. Staging is removed at the end and on failure.
 * @throws UsageError (bad target, exit 2), VerificationError (exit 3), AuthError (exit 5),
 *   ArchiveError (destination taken, push rejected: exit 1).
 */
export async function restoreArchive(
  archive: string,
  options: RestoreArchiveOptions = {},
): Promise<RestoreArchiveResult> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const emit = options.onEvent ?? (() => {});
  const root = options.logger ?? nullLogger().root;
  const log = root.child("archive_restore");
  const gitLog = root.child("git_client");
  const cwd = options.cwd ?? process.cwd();
  const archivePath = resolve(cwd, archive);
  const output = resolve(cwd, options.outputDir ?? "restored");
  const target = options.target ? resolveTarget(options.target, { cwd }) : undefined;
  const timings = { verify: 0, restore: 0, dependencies: 0, push: 0, total: 0 };
  log.info("Archive restoration started", { archive: archivePath, target_url: target?.displayUrl, output });

  // Step 1/5: the archive, and a fail-fast check of the target's credentials.
  emit({ kind: "archive:start", archive: archivePath });
  if (target) await lsRemote(target.gitUrl, { auth: options.targetAuth, logger: gitLog });
  const haveLfs = await lfsAvailable({ logger: gitLog });

  // Step 2/5: verify + extract in one pass.
  emit({ kind: "verify:start" });
  let t = now();
  mkdirSync(output, { recursive: true });
  const archiveBytes = fileSize(archivePath);
  if (archiveBytes !== undefined) {
    assertFreeSpace(output, restoreSpaceEstimate(archiveBytes), { action: `restore "${archivePath}"` });
  }
  const extracted = await extractVerified(archivePath, output, {
    logger: root.child("archive_verify"),
    action: "restore",
  });
  const { manifest, stagingDir } = extracted;
  timings.verify = now() - t;
  emit({ kind: "verify:done", report: extracted.report, ms: timings.verify });
  try {
    await options.onVerified?.(manifest);
    options.signal?.throwIfAborted();
    if (!isSafeRepositoryName(manifest.repository.name)) {
      throw new ArchiveError(
        `Cannot restore: the manifest's repository name "${manifest.repository.name}" is not safe`,
      );
    }
    for (const ref of Object.keys(manifest.refs)) {
      const why = refNameProblem(ref);
      if (why) {
        throw new VerificationError(
          `Cannot restore: the archive carries ref ${JSON.stringify(ref)}: ${why}`,
          {
            entry: "manifest.json",
          },
        );
      }
    }
    if (manifest.type !== "full") {
      throw new UsageError("Cannot restore an incremental archive yet: only full archives are supported");
    }
    assertFreeDestination(join(output, manifest.repository.name));

    // Step 3/5: rebuild the repository.
    emit({ kind: "restore:start" });
    t = now();
    const rebuilt = await rebuildRepository(stagingDir, manifest, {
      parent: output,
      lfs: haveLfs,
      origin: target?.displayUrl,
      logger: gitLog,
      signal: options.signal,
    });
    timings.restore = now() - t;
    log.info("Repository restored", {
      repository: manifest.repository.name,
      location: rebuilt.dir,
      branches_synced: rebuilt.branches,
      tags: rebuilt.tags,
      lfs_objects: rebuilt.lfsObjects,
      duration_seconds: timings.restore / 1000,
    });
    emit({ kind: "restore:done", ...rebuilt, ms: timings.restore });

    // Step 4/5: dependencies, offline.
    let deps: EcosystemResult[] = [];
    if (options.installDependencies === false) {
      emit({
        kind: "deps:skipped",
        reason: "turned off: --no-install-dependencies or INSTALL_DEPENDENCIES=false",
      });
    } else {
      emit({ kind: "deps:start" });
      t = now();
      deps = await installDependencies(rebuilt.dir, join(stagingDir, "dependencies"), {
        ...options.dependencies,
        logger: root.child("deps"),
        progress: (event) => emit({ kind: "deps:progress", event }),
      });
      timings.dependencies = now() - t;
      const packages = deps.reduce((n, d) => n + (d.status === "included" ? d.packages : 0), 0);
      emit({ kind: "deps:done", results: deps, packages, ms: timings.dependencies });
    }
    rmSync(stagingDir, { recursive: true, force: true });

    // Step 5/5: push.
    let pushed: RestoreArchiveResult["pushed"];
    if (target) {
      emit({ kind: "push:start", target: target.displayUrl });
      t = now();
      pushed = await pushToTarget(rebuilt.dir, target, {
        auth: options.targetAuth,
        prune: options.prune,
        lfsObjects: rebuilt.lfsObjects,
        logger: gitLog,
        signal: options.signal,
      });
      timings.push = now() - t;
      log.info("Pushed to target", {
        repository: manifest.repository.name,
        target_url: target.displayUrl,
        branches_synced: rebuilt.branches,
        refs_updated: pushed.updated,
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
      report: extracted.report,
      dependencies: deps,
      pushed,
      timings,
    };
  } finally {
    rmSync(stagingDir, { recursive: true, force: true });
  }
}

function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined; // extraction reports a missing or unreadable archive
  }
}
