import { join } from "node:path";

/**
 * The directory for state kept between runs (rollback sequence numbers, metrics and alert state):
 * `sync.state_dir` when set, else `$XDG_STATE_HOME/repo-cloner`, else `~/.local/state/repo-cloner`.
 * `env` is passed in (read once by the CLI), never read here.
 */
export function stateDirOf(
  config: { sync?: { state_dir?: string } },
  env: Record<string, string | undefined>,
): string {
  return config.sync?.state_dir ??
    (env.XDG_STATE_HOME
      ? join(env.XDG_STATE_HOME, "repo-cloner")
      : join(env.HOME ?? "/tmp", ".local", "state", "repo-cloner"));
}
