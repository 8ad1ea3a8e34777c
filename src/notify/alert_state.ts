import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../fs/atomic_write.ts";

/** A notification channel. */
export type Channel = "slack" | "pagerduty";

/** What is known about one repository between runs. */
export interface RepositoryAlertState {
  /** Outcome of its last sync. */
  status: "failing" | "ok";
  /** When it entered that status (ISO 8601). */
  since: string;
  /** Last error (redacted), while failing. */
  error?: string;
  /** Last state each channel was told about; absent means "ok" (never alerted). */
  alerted: Partial<Record<Channel, "failing" | "ok">>;
}

/** The alert state file: `{ version: 1, repositories: { <name>: RepositoryAlertState } }`. */
export interface AlertState {
  version: 1;
  repositories: Record<string, RepositoryAlertState>;
}

/**
 * Reads the alert state. Missing file: empty state. Unreadable or malformed: `onProblem` is told and
 * the state starts empty (at worst one alert is repeated; a sync is never stopped by it).
 */
export function loadAlertState(path: string, options: { onProblem?: (m: string) => void } = {}): AlertState {
  const empty: AlertState = { version: 1, repositories: {} };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      options.onProblem?.(`Cannot read alert state "${path}": ${(e as Error).message}. Starting empty`);
    }
    return empty;
  }
  try {
    const data = JSON.parse(text);
    if (data?.version !== 1 || typeof data.repositories !== "object" || data.repositories === null) {
      throw new SyntaxError("not a repo-cloner alert state (version 1)");
    }
    const repositories: AlertState["repositories"] = {};
    for (
      const [name, r] of Object.entries(data.repositories as Record<string, Partial<RepositoryAlertState>>)
    ) {
      if (r?.status !== "failing" && r?.status !== "ok") continue;
      const alerted: RepositoryAlertState["alerted"] = {};
      for (const ch of ["slack", "pagerduty"] as const) {
        const v = r.alerted?.[ch];
        if (v === "failing" || v === "ok") alerted[ch] = v;
      }
      repositories[name] = {
        status: r.status,
        since: typeof r.since === "string" ? r.since : new Date(0).toISOString(),
        error: typeof r.error === "string" ? r.error : undefined,
        alerted,
      };
    }
    return { version: 1, repositories };
  } catch (e) {
    options.onProblem?.(`Cannot use alert state "${path}": ${(e as Error).message}. Starting empty`);
    return empty;
  }
}

/** Writes the alert state atomically. @throws Error from node:fs. */
export function saveAlertState(path: string, state: AlertState): void {
  writeFileAtomic(path, JSON.stringify(state, null, 2) + "\n", { mode: 0o600, createDir: true });
}
