import type { Command } from "commander";
import { PartialFailureError, RepoClonerError } from "../errors.ts";
import { runSync } from "../sync/engine.ts";
import { resolveSyncSettings } from "../sync/settings.ts";
import { openContext } from "./context.ts";
import { globalsOf } from "./program.ts";
import { endpointLabels, SyncView } from "./sync_view.ts";
import { openSyncOps } from "./sync_ops.ts";

/** Options of the `sync` command. */
interface SyncCommandOptions {
  dryRun?: boolean;
  shard?: string;
  cacheDir?: string;
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
    .addHelpText(
      "after",
      "\nWithout --config, the environment configures a GitLab group -> GitHub organization sync:\n" +
        "  GITLAB_URL, GITLAB_TOKEN, GITLAB_GROUP, GITHUB_ORG, GITHUB_TOKEN, optional GITHUB_URL\n" +
        "Exit codes: 0 all synced, 4 some repositories failed or diverged, 5 a token was rejected",
    )
    .action(async (opts: SyncCommandOptions, cmd: Command) => {
      const ctx = openContext("sync", globalsOf(cmd));
      const settings = resolveSyncSettings(ctx.config, { env: ctx.env, flags: opts });
      const view = new SyncView(ctx.terminal, { dryRun: settings.dryRun, maxRetries: settings.maxRetries });
      view.header({
        sessionId: ctx.sessionId,
        sourceType: settings.sources[0].type,
        targetType: settings.targets[0].type,
        ...endpointLabels(settings),
      });
      const ops = openSyncOps(ctx, { shard: settings.shard });
      const { result, authError } = await runSync(settings, {
        logger: ctx.logger,
        events: view.events(settings.shard),
      }).catch(async (error) => {
        await ops.finish(undefined, error);
        throw error;
      });
      view.summary(result, ctx.logFile);
      ctx.terminal.result(result);
      await ops.finish(result, authError);
      if (authError) throw authError;
      const bad = result.failed + result.diverged;
      if (bad > 0 && result.successful + result.diverged === 0) {
        throw new RepoClonerError(
          `Cannot sync any repository: all ${result.failed} failed (${
            result.failed_repositories.join(", ")
          }). See ${ctx.logFile}`,
          { errorType: "SyncFailed" },
        );
      }
      if (bad > 0) {
        const parts = [
          result.failed ? `${result.failed} failed (${result.failed_repositories.join(", ")})` : "",
          result.diverged ? `${result.diverged} diverged (${result.diverged_repositories.join(", ")})` : "",
        ].filter(Boolean);
        throw new PartialFailureError(
          `Cannot sync every repository: ${parts.join(", ")}. Details in ${ctx.logFile}`,
        );
      }
    });
}
