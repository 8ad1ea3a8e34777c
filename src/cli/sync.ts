import type { Command } from "commander";
import { UsageError } from "../errors.ts";
import { parseDuration } from "../config/duration.ts";
import { resolveSyncSettings } from "../sync/settings.ts";
import { openContext } from "./context.ts";
import { interruptScope } from "./interrupt.ts";
import { globalsOf } from "./program.ts";
import { outcomeError, runScope, runSyncCycle } from "./sync_cycle.ts";
import { acquireLock } from "../fs/lock.ts";
import { runScheduledSync } from "./sync_schedule.ts";
import { openSyncOps } from "./sync_ops.ts";

/** Options of the `sync` command. */
interface SyncCommandOptions {
  dryRun?: boolean;
  shard?: string;
  cacheDir?: string;
  every?: string;
}

/** Registers `repo-cloner sync`. */
export function registerSyncCommand(program: Command): void {
  program.command("sync")
    .description(
      "mirror every repository of the configured sources (GitLab groups, GitHub organizations) to the targets",
    )
    .option("--dry-run", "print the plan (create / push / skip / diverged per repository) and change nothing")
    .option("--shard <K/N>", "sync only shard K of N (stable split by repository path; K is 1-based)")
    .option("--cache-dir <dir>", "mirror cache (default $XDG_CACHE_HOME/repo-cloner or ~/.cache/repo-cloner)")
    .option(
      "--every <interval>",
      "scheduled mode: a sync cycle every interval (30s, 15m, 1h) until SIGTERM/SIGINT, then exit 0 (sync.every)",
    )
    .addHelpText(
      "after",
      "\nWithout --config, the environment configures a GitLab group -> GitHub organization sync:\n" +
        "  GITLAB_URL, GITLAB_TOKEN, GITLAB_GROUP, GITHUB_ORG, GITHUB_TOKEN, optional GITHUB_URL\n" +
        "Exit codes: 0 all synced, 4 some repositories failed or diverged, 5 a token was rejected,\n" +
        "  130/143 interrupted by SIGINT/SIGTERM (with --every: 0, the schedule was stopped)",
    )
    .action(async (opts: SyncCommandOptions, cmd: Command) => {
      const ctx = openContext("sync", globalsOf(cmd));
      const settings = resolveSyncSettings(ctx.config, { env: ctx.env, flags: opts });
      const every = scheduleInterval(opts.every, ctx.config.sync?.every);
      if (every !== undefined && settings.dryRun) {
        throw new UsageError("Cannot use --every with --dry-run: a plan is printed once");
      }
      // One run per mirror cache: a second one (another shell, an overlapping cron) is refused.
      const cacheLock = await acquireLock(settings.cacheDir, {
        role: "mirror cache",
        command: "repo-cloner sync",
      });
      try {
        if (every !== undefined) return await runScheduledSync(ctx, settings, { everyMs: every });
        const ops = openSyncOps(ctx, { shard: settings.shard, scope: runScope(settings) });
        const scope = interruptScope();
        const outcome = await scope.run((signal) => runSyncCycle(ctx, settings, { ops, signal }));
        ctx.terminal.result(outcome.result);
        // Stopped by a signal: the repositories cut short are not failures; the run ends with 130/143.
        if (outcome.result.interrupted && scope.interrupted) throw scope.interrupted;
        const problem = outcomeError(outcome, ctx.logFile);
        if (problem) throw problem;
      } finally {
        cacheLock.release();
      }
    });
}

/** `--every` (else `sync.every`) in milliseconds; undefined for a one-shot run. */
function scheduleInterval(flag: string | undefined, config: string | undefined): number | undefined {
  const text = flag ?? config;
  if (text === undefined) return undefined;
  try {
    return parseDuration(text, flag !== undefined ? "--every" : "sync.every");
  } catch (e) {
    throw new UsageError((e as Error).message, { cause: e });
  }
}
