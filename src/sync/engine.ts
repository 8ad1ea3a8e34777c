import { AuthError, RepoClonerError, TransientError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { redactor } from "../log/redact.ts";
import { createPlatform } from "../platforms/factory.ts";
import { discoverJobs, type SourceHandle } from "./discover.ts";
import { assertTargetsAreNotSources } from "./endpoints_check.ts";
import { MirrorCache } from "./mirror.ts";
import { runPool, settleInOrder } from "./pool.ts";
import { type RepoJob, type RepoSyncContext, syncRepositoryOnce } from "./repo_sync.ts";
import { syncBidirectionalOnce } from "./bidirectional.ts";
import { faultDetail, shortReason } from "./reason.ts";
import { withRetry } from "./retry.ts";
import type { SyncSettings } from "./settings.ts";
import { PlatformTarget, type SyncTarget } from "./target.ts";
import { buildTargets, prepareTargets, type RunTargets } from "./build_targets.ts";
import { FanOut } from "./fan_out.ts";
import { checkWidth, Gate, GateClosed } from "./gate.ts";
import type { RepoSyncResult, SyncRunResult, TargetOutcome } from "./types.ts";

/** Progress callbacks for views (terminal, metrics). All optional. */
export interface SyncEvents {
  /** A namespace was listed. */
  discovered?(e: { source: string; namespace: string; count: number }): void;
  /** Repositories are about to be synced. */
  started?(e: { total: number; discovered: number }): void;
  /** A repository hit a transient fault and will be retried after `delayMs`. */
  retrying?(
    e: { repository: string; attempt: number; maxRetries: number; reason: string; delayMs: number },
  ): void;
  /** An archive upload to an s3 target is starting. */
  uploading?(e: { repository: string; target: string; url: string; size: number }): void;
  /** A repository finished (any status), in completion order. */
  completed?(result: RepoSyncResult): void;
}

/** Options of {@link runSync}. */
export interface RunSyncOptions {
  logger: Logger;
  events?: SyncEvents;
  /**
   * Stops the run cleanly (SIGTERM/SIGINT): no repository starts after it fires, in-flight git
   * processes are killed with their process group, retry waits end, and repositories cut short are
   * left out of the results (listed in `not_started`, never counted as failures). Default: none.
   */
  signal?: AbortSignal;
}

/** What {@link runSync} returns: the run summary, and the auth error that stopped it, if any. */
export interface SyncOutcome {
  result: SyncRunResult;
  /** Set when a token was rejected: the run stopped scheduling repositories (exit 5). */
  authError?: AuthError;
}

const FORGE = { github: "GitHub", gitlab: "GitLab" } as const;

/** `GitHub`, `GitLab`, or the type itself for other targets. */
function forgeName(type: string): string {
  return (FORGE as Record<string, string>)[type] ?? type;
}

/**
 * Runs one sync: checks every token once (an {@link AuthError} stops the run before any work),
 * discovers the sources' repositories, lists each target once, then syncs the repositories through a
 * bounded pool — each with a per-attempt timeout and retries with backoff for transient faults.
 * Logs the spec's JSON events and returns the per-repository results and the summary.
 */
export async function runSync(settings: SyncSettings, options: RunSyncOptions): Promise<SyncOutcome> {
  assertTargetsAreNotSources(settings);
  const started = Date.now();
  const { logger, events = {} } = options;
  const engineLog = logger.child("sync_engine");
  const gitLog = logger.child("git_client");
  const platformLog = logger.child("platforms");
  const requestTimeoutMs = Math.min(settings.timeoutMs, 120_000);
  const sources: SourceHandle[] = settings.sources.map((s) => {
    const platform = createPlatform(s, { role: "source", requestTimeoutMs, logger: platformLog });
    return {
      settings: s,
      platform,
      labels: s.namespaces.map((n) => `${platform.host}/${n}`).concat(
        s.repositories.map((r) => `${platform.host}/${r}`),
      ),
      who: `the source ${FORGE[s.type]} at ${platform.host} (token from ${s.tokenOrigin}; needs scope ${
        s.type === "gitlab" ? `"read_repository"` : `"repo"`
      })`,
    };
  });
  const runTargets = await buildTargets(settings, { requestTimeoutMs, platformLog, logger });
  const targets = runTargets.push;
  const result: SyncRunResult = {
    session_id: logger.sessionId,
    dry_run: settings.dryRun,
    sources: sources.flatMap((s) => s.labels),
    targets: runTargets.all.map((t) => t.label),
    shard: settings.shard,
    total: 0,
    successful: 0,
    failed: 0,
    diverged: 0,
    failed_repositories: [],
    failed_targets: [],
    diverged_repositories: [],
    commits_synced: 0,
    branches_synced: 0,
    duration_seconds: 0,
    repositories: [],
    not_started: [],
  };
  const workflow = `workflows.${settings.sources[0].type}_to_${settings.targets[0].type}`;
  logger.child(workflow).info("Synchronization session started", {
    source: result.sources.join(", "),
    target: result.targets.join(", "),
    dry_run: settings.dryRun || undefined,
    shard: settings.shard ? `${settings.shard.index}/${settings.shard.count}` : undefined,
  });

  const retry = { maxRetries: settings.maxRetries, baseMs: settings.backoffMs, signal: options.signal };
  // Every token is checked before any other call, the checks side by side; then discovery and the
  // targets' listings, also side by side (all read-only). Errors surface in this order.
  await settleInOrder([
    ...sources.map((s) => withRetry(() => s.platform.checkAuth(), retry)),
    ...targets.flatMap((t) =>
      t instanceof PlatformTarget ? [withRetry(() => t.platform.checkAuth(), retry)] : []
    ),
  ]);
  const [{ jobs, discovered }] = await settleInOrder([
    discoverJobs(sources, {
      overrides: settings.overrides,
      shard: settings.shard,
      maxRetries: settings.maxRetries,
      backoffMs: settings.backoffMs,
      logger: engineLog,
      onDiscovered: (e) => events.discovered?.(e),
    }),
    prepareTargets(runTargets, { retry, log: engineLog }),
  ]);
  result.total = jobs.length;
  events.started?.({ total: jobs.length, discovered });

  const cache = new MirrorCache(settings.cacheDir);
  // Up to max_parallel repositories run git at once (the gate); more are checked (listed) meanwhile,
  // so that the repositories with nothing to do never wait behind a clone.
  const gitGate = new Gate(settings.maxParallel);
  let authError: AuthError | undefined;
  await runPool(jobs, checkWidth(settings.maxParallel), async (job) => {
    const r = await syncOne(job, {
      settings,
      targets,
      runTargets,
      cache,
      events,
      gitLog,
      engineLog,
      bidiLog: logger.child("bidirectional"),
      sessionId: logger.sessionId,
      signal: options.signal,
      gitGate,
    });
    if (r.authError && !authError) authError = r.authError;
    if (!r.interrupted) result.repositories.push(r.result);
  }, { shouldStart: () => !authError && !options.signal?.aborted });
  if (options.signal?.aborted) result.interrupted = true;
  const done = new Set(result.repositories.map((r) => r.source_path));
  result.not_started = jobs.filter((j) => !done.has(j.source.fullPath)).map((j) => j.name);

  for (const r of result.repositories) {
    for (const t of r.targets.filter((x) => x.status === "failure")) {
      result.failed_targets.push({
        repository: r.repository,
        target: t.target,
        target_type: t.target_type ?? "",
        error: t.error ?? "failed",
      });
    }
    if (r.status === "failure") result.failed_repositories.push(r.repository);
    else if (r.status === "diverged") result.diverged_repositories.push(r.repository);
    result.commits_synced += r.commits_synced;
    result.branches_synced += r.branches_synced;
  }
  result.failed = result.failed_repositories.length;
  result.diverged = result.diverged_repositories.length;
  result.successful = result.repositories.length - result.failed - result.diverged;
  result.duration_seconds = round((Date.now() - started) / 1000);
  engineLog.info("Synchronization session completed", {
    status: result.failed > 0 || authError ? "failure" : result.diverged > 0 ? "diverged" : "success",
    total: result.total,
    successful: result.successful,
    failed: result.failed,
    diverged: result.diverged,
    failed_repositories: result.failed_repositories,
    failed_targets: result.failed_targets.length ? result.failed_targets.length : undefined,
    commits_synced: result.commits_synced,
    branches_synced: result.branches_synced,
    duration_seconds: result.duration_seconds,
    dry_run: settings.dryRun || undefined,
    interrupted: result.interrupted,
    not_started: result.interrupted ? result.not_started.length : undefined,
  });
  return { result, authError };
}

interface SyncOneContext {
  settings: SyncSettings;
  targets: SyncTarget[];
  /** Every target of the run (archive targets, config order). */
  runTargets: RunTargets;
  cache: MirrorCache;
  events: SyncEvents;
  gitLog: ReturnType<Logger["child"]>;
  engineLog: ReturnType<Logger["child"]>;
  /** Conflict, backup and state events of a bidirectional sync (`repo_cloner.bidirectional`). */
  bidiLog: ReturnType<Logger["child"]>;
  sessionId: string;
  signal?: AbortSignal;
  /** Places for git work, max_parallel of them. */
  gitGate: Gate;
}

async function syncOne(
  job: RepoJob,
  ctx: SyncOneContext,
): Promise<{ result: RepoSyncResult; authError?: AuthError; interrupted?: boolean }> {
  const { settings } = ctx;
  const started = Date.now();
  let retries = 0;
  const base: RepoSyncResult = {
    repository: job.name,
    source_path: job.source.fullPath,
    source_url: job.source.cloneUrl,
    target_url: firstTargetUrl(job.name, ctx.runTargets),
    status: settings.dryRun ? "planned" : "success",
    up_to_date: false,
    commits_synced: 0,
    branches_synced: 0,
    tags_synced: 0,
    duration_seconds: 0,
    retries: 0,
    fetched: false,
    targets: [],
  };
  const fan = new FanOut(ctx.targets, ctx.runTargets.archives, ctx.runTargets.all.map((t) => t.label));
  try {
    const attempt = await withRetry(
      () => {
        const once: RepoSyncContext = {
          targets: fan.pushTargets(),
          archiveTargets: fan.archiveTargets(),
          onUpload: ctx.events.uploading,
          cache: ctx.cache,
          dryRun: settings.dryRun,
          deadline: Date.now() + settings.timeoutMs,
          logger: ctx.gitLog,
          signal: ctx.signal,
          gitGate: { gate: ctx.gitGate, timeoutMs: settings.timeoutMs },
        };
        if (!settings.bidirectional) return fan.run(() => syncRepositoryOnce(job, once));
        // Bidirectional attempts hold a place from the start, their clock starting with it; a rejected
        // token closes the gate before the place is given back, as in syncRepositoryOnce.
        return ctx.gitGate.run(
          () =>
            syncBidirectionalOnce(job, {
              ...once,
              deadline: Date.now() + settings.timeoutMs,
              bidi: settings.bidirectional!,
              sides: {
                source: forgeName(settings.sources[0].type),
                target: forgeName(settings.targets[0].type),
              },
              events: ctx.bidiLog,
              sessionId: ctx.sessionId,
            }),
          ctx.signal,
          ({ value, error }) =>
            error instanceof AuthError
              ? error
              : value?.failures?.find((f) => f.error instanceof AuthError)?.error,
        );
      },
      {
        signal: ctx.signal,
        maxRetries: settings.maxRetries,
        baseMs: settings.backoffMs,
        onRetry: ({ attempt, maxRetries, error, delayMs }) => {
          retries = attempt;
          const reason = `${shortReason(error)}: ${faultDetail(error)}`;
          ctx.gitLog.warning(`Transient network error (will retry): ${reason}`, {
            repository: job.name,
            retry_attempt: attempt,
            max_retries: maxRetries,
            error: reason,
            delay_seconds: round(delayMs / 1000),
          });
          ctx.events.retrying?.({
            repository: job.name,
            attempt,
            maxRetries,
            reason: shortReason(error),
            delayMs,
          });
        },
      },
    );
    const r = finish(base, attempt.targets, started, retries, attempt.fetched, ctx.runTargets);
    for (const t of r.targets) logCompleted(ctx.engineLog, r, t);
    ctx.events.completed?.(r);
    return { result: r, authError: fan.authError() };
  } catch (error) {
    // A token was rejected while this repository waited for git: it is reported as not started,
    // or — when an earlier attempt already served some targets — with those targets' outcomes.
    const closed = error instanceof GateClosed;
    if (closed && fan.result().targets.length === 0) return { result: base, interrupted: true };
    if (ctx.signal?.aborted) {
      ctx.engineLog.warning("Repository sync interrupted", {
        repository: job.name,
        source_url: job.source.cloneUrl,
        duration_seconds: round((Date.now() - started) / 1000),
        status: "interrupted",
      });
      return { result: base, interrupted: true };
    }
    if (closed || fan.isTargetRetry(error)) {
      // Retries ran out for some target: every target's own outcome stands.
      const attempt = fan.result();
      const r = finish(base, attempt.targets, started, retries, attempt.fetched, ctx.runTargets);
      for (const t of r.targets) logCompleted(ctx.engineLog, r, t);
      ctx.events.completed?.(r);
      return { result: r, authError: fan.authError() };
    }
    const r: RepoSyncResult = {
      ...base,
      status: "failure",
      duration_seconds: round((Date.now() - started) / 1000),
      retries,
      error: redactor.redact(error instanceof Error ? error.message : String(error)),
      error_type: error instanceof RepoClonerError ? error.errorType : (error as Error)?.name ?? "Error",
    };
    ctx.engineLog.error("Repository sync failed", {
      repository: r.repository,
      source_url: r.source_url,
      target_url: r.target_url,
      duration_seconds: r.duration_seconds,
      status: "failure",
      error_type: r.error_type,
      error: r.error,
      retries: error instanceof TransientError ? retries : undefined,
    });
    ctx.events.completed?.(r);
    return { result: r, authError: error instanceof AuthError ? error : undefined };
  }
}

function finish(
  base: RepoSyncResult,
  targets: TargetOutcome[],
  started: number,
  retries: number,
  fetched: boolean,
  runTargets: RunTargets,
): RepoSyncResult {
  const kinds = new Map(runTargets.all.map((t) => [t.label, t.kind]));
  for (const t of targets) t.target_type ??= kinds.get(t.target);
  // What the source brought, not a sum over targets: each target receives the same commits.
  const most = (k: "commits_synced" | "branches_synced" | "tags_synced") =>
    targets.reduce((a, t) => t.status === "failure" ? a : Math.max(a, t[k]), 0);
  const failed = targets.filter((t) => t.status === "failure");
  return {
    ...base,
    target_url: targets[0]?.target_url ?? base.target_url,
    status: failed.length > 0
      ? "failure"
      : base.status === "planned"
      ? "planned"
      : targets.some((t) => t.status === "diverged")
      ? "diverged"
      : "success",
    up_to_date: targets.every((t) => t.up_to_date),
    commits_synced: most("commits_synced"),
    branches_synced: most("branches_synced"),
    tags_synced: most("tags_synced"),
    duration_seconds: round((Date.now() - started) / 1000),
    retries,
    fetched,
    targets,
    ...(failed.length > 0
      ? {
        error: failed.map((t) => `${t.target}: ${t.error}`).join("; "),
        error_type: failed[0].error_type,
      }
      : {}),
  };
}

/** The first target's URL for `name`, for results of repositories that failed before any target. */
function firstTargetUrl(name: string, targets: RunTargets): string {
  const first = targets.push[0];
  if (!first || targets.all[0] !== first) return targets.archives[0]?.storage.location ?? "";
  try {
    return first.destination(name).url;
  } catch {
    return "";
  }
}

function logCompleted(log: ReturnType<Logger["child"]>, r: RepoSyncResult, t: TargetOutcome): void {
  const fields = {
    repository: r.repository,
    source_url: r.source_url,
    target_url: t.target_url,
    commits_synced: t.commits_synced,
    branches_synced: t.branches_synced,
    tags_synced: t.tags_synced,
    duration_seconds: r.duration_seconds,
    status: t.status,
    up_to_date: t.up_to_date,
    created: t.created || undefined,
    diverged: t.diverged.length ? t.diverged : undefined,
    refs_deleted: t.refs_deleted || undefined,
    retries: r.retries || undefined,
    target: t.target,
    target_type: t.target_type,
    archive: t.archive?.url,
    archive_type: t.archive?.type ?? t.archive_planned,
    size_bytes: t.archive?.size,
    sha256: t.archive?.sha256,
  };
  if (t.status === "failure") {
    log.error("Repository sync to target failed", { ...fields, error_type: t.error_type, error: t.error });
    return;
  }
  log.info(r.status === "planned" ? "Repository sync planned" : "Repository sync completed", fields);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
