/**
 * Scheduled mode: `repo-cloner sync --every 15m` runs sync cycles until SIGTERM or SIGINT. One
 * process is one session (one session id, one log file); every record of cycle N carries `cycle: N`.
 * A cycle starts `every` after the previous one started (at once when it overran). The first signal
 * stops the process cleanly: the running cycle stops starting repositories and kills its in-flight git
 * processes (their repositories are left out of the results, not counted as failures), its metrics
 * and alert state are written, the listener closes, and the command ends with exit 0. A second signal
 * ends the process at once. Failed cycles are logged and recorded (`/healthz` turns 503 after
 * `metrics.unhealthy_after` of them in a row); they never stop the schedule.
 */
import { RepoClonerError } from "../errors.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { formatDuration } from "../config/duration.ts";
import { abortableSleep } from "../sync/retry.ts";
import type { SyncSettings } from "../sync/settings.ts";
import type { CommandContext } from "./context.ts";
import { interruptScope } from "./interrupt.ts";
import { outcomeError, runScope, runSyncCycle } from "./sync_cycle.ts";
import { openSyncOps } from "./sync_ops.ts";

/** Options of {@link runSchedule}. */
export interface ScheduleOptions {
  /** Interval between cycle starts. */
  everyMs: number;
  /** Ends the schedule: no new cycle starts and the wait between cycles ends at once. */
  signal: AbortSignal;
  logger: ModuleLogger;
  /** Clock (epoch ms). Default Date.now. */
  now?: () => number;
  /** Wait, for tests. Default an abortable setTimeout. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Calls `cycle(1)`, `cycle(2)`, … every `everyMs` until `signal` fires; returns the number of cycles
 * started. A cycle that throws is logged at ERROR and the schedule goes on.
 */
export async function runSchedule(
  cycle: (n: number) => Promise<void>,
  options: ScheduleOptions,
): Promise<number> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  let n = 0;
  while (!options.signal.aborted) {
    n++;
    const started = now();
    try {
      await cycle(n);
    } catch (error) {
      options.logger.error("Sync cycle failed", {
        cycle: n,
        status: "failure",
        error_type: error instanceof RepoClonerError ? error.errorType : (error as Error)?.name ?? "Error",
        error: error instanceof Error ? error.message : String(error),
      });
    }
    if (options.signal.aborted) break;
    const wait = Math.max(0, started + options.everyMs - now());
    if (wait === 0) {
      options.logger.warning("Sync cycle took longer than the interval; the next one starts now", {
        cycle: n,
        duration_seconds: Math.round((now() - started) / 100) / 10,
        every_seconds: options.everyMs / 1000,
      });
    } else {
      options.logger.info("Next sync cycle scheduled", {
        cycle: n + 1,
        next_run_at: new Date(now() + wait).toISOString(),
        wait_seconds: Math.round(wait / 100) / 10,
      });
    }
    await sleep(wait, options.signal);
  }
  return n;
}

/**
 * `sync --every`: the metrics listener (`metrics.listen`) stays up across cycles, each cycle is a
 * full sync run ({@link runSyncCycle}) recorded into the same registry and alert state, and
 * SIGTERM/SIGINT end it with exit 0 (see the module comment).
 * @throws Error when the metrics listener cannot bind its address.
 */
export async function runScheduledSync(
  ctx: CommandContext,
  settings: SyncSettings,
  options: { everyMs: number },
): Promise<void> {
  const log = ctx.logger.child("scheduler");
  const ops = openSyncOps(ctx, { shard: settings.shard, scope: runScope(settings) });
  const scope = interruptScope();
  let last: { cycle: number; status: string; result?: unknown } | undefined;
  try {
    const server = await ops.publisher.listen();
    log.info("Scheduled sync started", {
      every: formatDuration(options.everyMs),
      every_seconds: options.everyMs / 1000,
      metrics_url: server ? `${server.url}/metrics` : undefined,
    });
    const every = formatDuration(options.everyMs);
    ctx.terminal.line(`🔁 Scheduled sync: a cycle every ${every} until SIGTERM or SIGINT`);
    if (server) ctx.terminal.line(`   Metrics: ${server.url}/metrics   Health: ${server.url}/healthz`);
    const cycles = await runSchedule(async (n) => {
      ctx.logger.setContext({ cycle: n });
      ctx.terminal.line();
      ctx.terminal.line(`🔁 Cycle ${n}`);
      try {
        const outcome = await runSyncCycle(ctx, settings, { ops, signal: scope.signal });
        const problem = outcomeError(outcome, ctx.logFile);
        last = {
          cycle: n,
          status: outcome.result.interrupted ? "interrupted" : problem ? problem.errorType : "success",
          result: outcome.result,
        };
        if (problem && !outcome.result.interrupted) throw problem;
      } catch (error) {
        last = last?.cycle === n
          ? last
          : { cycle: n, status: (error as RepoClonerError).errorType ?? "Error" };
        throw error;
      }
    }, { everyMs: options.everyMs, signal: scope.signal, logger: log });
    ctx.logger.setContext({});
    const signal = scope.interrupted?.exitCode === 130 ? "SIGINT" : "SIGTERM";
    log.info("Scheduled sync stopped", { signal, cycles, status: "stopped" });
    ctx.terminal.line();
    ctx.terminal.line(`⏹ Stopped by ${signal} after ${cycles} cycle${cycles === 1 ? "" : "s"}`);
    ctx.terminal.result({
      status: "stopped",
      session_id: ctx.sessionId,
      signal,
      cycles,
      last_cycle: last,
      log_file: ctx.logFile,
    });
  } finally {
    scope.dispose();
    await ops.publisher.close();
  }
}
