import { join } from "node:path";

/** Files where operations state lives between runs. */
export interface OpsStatePaths {
  /** Metric values, so counters keep counting across one-shot runs. */
  metricsState: string;
  /** Last alerted state per repository, so alerts fire on transitions only. */
  alertState: string;
}

/**
 * Where operations state lives: `metrics.state_file` / `error_handling.notifications.state_file` when
 * set, else in `sync.state_dir` when set, else `$XDG_STATE_HOME/repo-cloner` or
 * `~/.local/state/repo-cloner`. `env` is passed in (read once by the CLI), never read here.
 */
export function opsStatePaths(
  config: {
    sync?: { state_dir?: string };
    metrics?: { state_file?: string };
    error_handling?: { notifications?: { state_file?: string } };
  },
  env: Record<string, string | undefined>,
): OpsStatePaths {
  const dir = config.sync?.state_dir ??
    (env.XDG_STATE_HOME
      ? join(env.XDG_STATE_HOME, "repo-cloner")
      : join(env.HOME ?? "/tmp", ".local", "state", "repo-cloner"));
  return {
    metricsState: config.metrics?.state_file ?? join(dir, "metrics-state.json"),
    alertState: config.error_handling?.notifications?.state_file ?? join(dir, "alert-state.json"),
  };
}
