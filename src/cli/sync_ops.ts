import type { MetricsPublisher as Publisher } from "../metrics/publisher.ts";
import { MetricsPublisher } from "../metrics/publisher.ts";
import type { RunStatus } from "../metrics/registry.ts";
import { opsStatePaths } from "../metrics/state_paths.ts";
import { Notifier, type RepositoryOutcome, type RunOutcome } from "../notify/notifier.ts";
import { RepoClonerError } from "../errors.ts";
import { redactor } from "../log/redact.ts";
import type { RepoSyncResult, SyncRunResult } from "../sync/types.ts";
import type { CommandContext } from "./context.ts";

/** Options of {@link openSyncOps}. */
export interface SyncOpsOptions {
  /** `--shard K/N`: becomes the Pushgateway grouping label `shard="K/N"` so shards do not overwrite each other. */
  shard?: { index: number; count: number };
  /** fetch for Slack, PagerDuty and the Pushgateway. Default the global one. */
  fetch?: typeof fetch;
  /**
   * What the run covers (the source labels, `gitlab.example.com/backend`): the scope of the run-level
   * alert, PagerDuty dedup key `<prefix>/run:<scope>`. Default: no run-level alert.
   */
  scope?: string;
}

/** Operations around one sync run: metrics and alerts. */
export interface SyncOps {
  /** The metrics publisher (scheduled mode starts its listener and records into it across cycles). */
  readonly publisher: Publisher;
  /**
   * After a run: records each repository's metrics and the run outcome, sends alerts for transitions,
   * then saves/writes/pushes the metrics. Dry runs record nothing. Never throws.
   */
  finish(result: SyncRunResult | undefined, error?: unknown): Promise<void>;
}

/**
 * Builds metrics and notifications for a sync session from the config (`metrics`,
 * `error_handling.notifications`); state files live under `sync.state_dir` or the XDG state dir
 * (see {@link opsStatePaths}).
 */
export function openSyncOps(ctx: CommandContext, options: SyncOpsOptions = {}): SyncOps {
  const paths = opsStatePaths(ctx.config, ctx.env);
  const publisher = MetricsPublisher.open(ctx.config.metrics, {
    stateFile: paths.metricsState,
    grouping: options.shard ? { shard: `${options.shard.index}/${options.shard.count}` } : undefined,
    logger: ctx.logger.child("metrics"),
    fetch: options.fetch,
  });
  const notifier = new Notifier(ctx.config.error_handling?.notifications, {
    statePath: paths.alertState,
    logger: ctx.logger.child("notify"),
    fetch: options.fetch,
  });
  return {
    publisher,
    async finish(result, error) {
      if (result?.dry_run) return;
      const repos = result?.repositories ?? [];
      for (const r of repos) {
        publisher.metrics.recordSync({
          repository: r.repository,
          status: r.status === "success" ? "success" : "failure",
          durationSeconds: r.duration_seconds,
          commits: r.commits_synced,
          branches: r.branches_synced,
          retries: r.retries,
          // Bidirectional: every conflict detected, resolved by a strategy or not; one-way: diverged refs.
          conflicts: r.targets.reduce(
            (n, t) => n + (t.bidirectional?.conflicts.length ?? t.diverged.length),
            0,
          ),
        });
      }
      publisher.metrics.recordRun(runStatus(result, error));
      await notifier.report(repos.map(outcomeOf), {
        sessionId: ctx.sessionId,
        logFile: ctx.logFile,
        outcome: options.scope ? runOutcome(options.scope, result, error) : undefined,
      });
      await publisher.publish();
    },
  };
}

/**
 * `failure`: the run threw before any result, or nothing synced; `partial`: some failed or diverged;
 * `interrupted`: stopped by a signal (whatever completed before is recorded per repository).
 */
export function runStatus(result: SyncRunResult | undefined, error?: unknown): RunStatus {
  if (!result) return "failure";
  if (result.interrupted) return "interrupted";
  const bad = result.failed + result.diverged;
  const someTargetDone = result.repositories.some((r) =>
    r.targets.some((t) => t.status === "success" || t.status === "diverged")
  );
  if (result.total > 0 && result.successful + result.diverged === 0 && !someTargetDone) return "failure";
  if (bad > 0 || error || result.not_started.length > 0) return "partial";
  return "success";
}

/**
 * The run-level outcome: failing when the run was stopped by an error (it threw before any result,
 * or a token was rejected); ok when it ran through, whatever individual repositories did (they alert
 * on their own). Interrupted runs say nothing.
 */
export function runOutcome(
  scope: string,
  result: SyncRunResult | undefined,
  error?: unknown,
): RunOutcome | undefined {
  if (result?.interrupted) return undefined;
  if (!error) return { scope, ok: true };
  const message = redactor.redact(error instanceof Error ? error.message : String(error));
  const errorType = error instanceof RepoClonerError ? error.errorType : (error as Error)?.name ?? "Error";
  return { scope, ok: false, error: message, errorType };
}

function outcomeOf(r: RepoSyncResult): RepositoryOutcome {
  if (r.status === "success") return { repository: r.repository, ok: true };
  if (r.status === "diverged") {
    const refs = [...new Set(r.targets.flatMap((t) => t.diverged))];
    return {
      repository: r.repository,
      ok: false,
      errorType: "Diverged",
      error: `refs diverged on the target and were left alone: ${refs.join(", ")}`,
    };
  }
  return { repository: r.repository, ok: false, error: r.error, errorType: r.error_type };
}
