import { PartialFailureError, RepoClonerError } from "../errors.ts";
import { runSync, type SyncOutcome } from "../sync/engine.ts";
import type { SyncSettings } from "../sync/settings.ts";
import type { CommandContext } from "./context.ts";
import type { SyncOps } from "./sync_ops.ts";
import { endpointLabels, SyncView, targetTypes } from "./sync_view.ts";

/** Options of {@link runSyncCycle}. */
export interface SyncCycleOptions {
  /** Metrics and alerts of the session (one for the whole process in scheduled mode). */
  ops: SyncOps;
  /** Stops the run cleanly (SIGTERM/SIGINT); see `RunSyncOptions.signal`. */
  signal?: AbortSignal;
}

/**
 * One sync run as the CLI shows it: the header, the engine run with the terminal view's events, the
 * summary, then metrics and alerts ({@link SyncOps.finish}, also when the run throws). Returns the
 * engine's outcome; the caller decides the exit code ({@link outcomeError}).
 * @throws whatever the engine throws before any result (discovery failed, token rejected at the
 * auth check), after recording it as a failed run.
 */
export async function runSyncCycle(
  ctx: CommandContext,
  settings: SyncSettings,
  options: SyncCycleOptions,
): Promise<SyncOutcome> {
  const view = new SyncView(ctx.terminal, {
    dryRun: settings.dryRun,
    maxRetries: settings.maxRetries,
    bidirectional: settings.bidirectional !== undefined,
  });
  view.header({
    sessionId: ctx.sessionId,
    sourceType: settings.sources[0].type,
    targetType: targetTypes(settings),
    ...endpointLabels(settings),
  });
  const outcome = await runSync(settings, {
    logger: ctx.logger,
    events: view.events(settings.shard),
    signal: options.signal,
  }).catch(async (error) => {
    await options.ops.finish(undefined, error);
    throw error;
  });
  view.summary(outcome.result, ctx.logFile);
  await options.ops.finish(outcome.result, outcome.authError);
  return outcome;
}

/**
 * The error a finished run ends the command with, or undefined for a clean run: the auth error
 * (exit 5), all repositories failed (exit 1), some failed or diverged (exit 4).
 */
export function outcomeError(outcome: SyncOutcome, logFile: string): RepoClonerError | undefined {
  const { result, authError } = outcome;
  if (authError) return authError;
  const bad = result.failed + result.diverged;
  // A repository whose other targets went through is a partial success, not a failure.
  const someTargetDone = result.repositories.some((r) =>
    r.targets.some((t) => t.status === "success" || t.status === "diverged")
  );
  if (bad > 0 && result.successful + result.diverged === 0 && !someTargetDone) {
    return new RepoClonerError(
      `Cannot sync any repository: all ${result.failed} failed (${
        result.failed_repositories.join(", ")
      }). See ${logFile}`,
      { errorType: "SyncFailed" },
    );
  }
  if (bad > 0) {
    const targets = [...new Set(result.failed_targets.map((f) => f.target))];
    const parts = [
      result.failed ? `${result.failed} failed (${result.failed_repositories.join(", ")})` : "",
      targets.length ? `failed target(s): ${targets.join(", ")}` : "",
      result.diverged ? `${result.diverged} diverged (${result.diverged_repositories.join(", ")})` : "",
    ].filter(Boolean);
    return new PartialFailureError(
      `Cannot sync every repository: ${parts.join(", ")}. Details in ${logFile}`,
    );
  }
  return undefined;
}

/** The sources a run covers, `gitlab.example.com/backend,…`: the scope of its run-level alert. */
export function runScope(settings: SyncSettings): string {
  return endpointLabels(settings).sources.join(",");
}
