/**
 * GitLab → GitHub sync, the spec's `gitlab-to-github-sync` workflow in TypeScript. It calls the same
 * library code as `repo-cloner sync`: settings from the environment (or REPO_CLONER_CONFIG), the sync
 * engine, the terminal view, metrics and alerts.
 *
 *   export GITLAB_URL=https://gitlab.com GITLAB_TOKEN=glpat_… GITLAB_GROUP=backend
 *   export GITHUB_ORG=myorg GITHUB_TOKEN=ghp_…          # GITHUB_URL for GitHub Enterprise Server
 *   deno run -A examples/workflows/gitlab-to-github-sync.ts
 *
 * Optional: REPO_CLONER_CONFIG=examples/configs/production-sync-with-logging.yml (the config file
 * then names sources and targets), SHARD=2/4. Exit codes as the binary's: 0, 4 partial, 5 auth.
 */
import { openContext } from "../../src/cli/context.ts";
import { outcomeError, runScope } from "../../src/cli/sync_cycle.ts";
import { openSyncOps } from "../../src/cli/sync_ops.ts";
import { endpointLabels, SyncView } from "../../src/cli/sync_view.ts";
import { runSync } from "../../src/sync/engine.ts";
import { resolveSyncSettings } from "../../src/sync/settings.ts";
import { runWorkflow } from "./_run.ts";

await runWorkflow(async () => {
  const env = process.env;
  // Session id `sync-YYYYMMDD-HHMMSS`, JSON log (default /tmp/repo-cloner-<session>.log), terminal.
  const ctx = openContext("sync", { config: env.REPO_CLONER_CONFIG || undefined });
  const settings = resolveSyncSettings(ctx.config, {
    env: ctx.env,
    flags: { shard: env.SHARD || undefined },
  });

  // 🚀 header, 📁 discovery, 📥 one line per repository, summary: the spec's terminal output.
  const view = new SyncView(ctx.terminal, { maxRetries: settings.maxRetries });
  view.header({
    sessionId: ctx.sessionId,
    sourceType: settings.sources[0].type,
    targetType: settings.targets[0].type,
    ...endpointLabels(settings),
  });
  const ops = openSyncOps(ctx, { shard: settings.shard, scope: runScope(settings) });
  const outcome = await runSync(settings, { logger: ctx.logger, events: view.events(settings.shard) })
    .catch(async (error) => {
      await ops.finish(undefined, error);
      throw error;
    });
  view.summary(outcome.result, ctx.logFile);
  // Prometheus textfile/Pushgateway and Slack/PagerDuty alerts, when the config asks for them.
  await ops.finish(outcome.result, outcome.authError);
  const problem = outcomeError(outcome, ctx.logFile);
  if (problem) throw problem;
});
