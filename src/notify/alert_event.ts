/** Prefix of the state key of a run-level alert: `run:<scope>`. Repository names never hold `:`. */
export const RUN_KEY_PREFIX = "run:";

/** One transition to tell people about. */
export interface AlertEvent {
  /**
   * The repository name, or for a run-level alert (`run: true`) `run:<scope>`, where the scope names
   * the sources (`gitlab.example.com/backend`).
   */
  repository: string;
  /** A run-level alert: the run stopped before any repository result (token rejected, discovery failed). */
  run?: boolean;
  /** `failure`: healthy → failing. `recovery`: failing → healthy. */
  kind: "failure" | "recovery";
  /** Redacted error, `<ErrorType>: <message>`, for failures. */
  error?: string;
  /** Machine-readable error kind (`NetworkError`), for failures. */
  errorType?: string;
  sessionId: string;
  /** The session's JSON log file. */
  logFile?: string;
  /** When it was observed. */
  at: Date;
  /** When the repository started failing (recoveries; also failures already failing). */
  failingSince?: Date;
}

/** `2025-10-13 15:32:45 UTC`, the spec's alert time format. */
export function alertTime(d: Date): string {
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}
