/**
 * Domain errors. Each carries the process exit code that `main.ts` maps it to, so only `main.ts`
 * decides how the process ends. Messages read "Cannot <action>: <state>" and say what to do next.
 *
 * Exit codes (README): 0 success; 1 operation failed; 2 usage or config error; 3 archive verification
 * failed; 4 partial success; 5 authentication error; 130/143 interrupted by SIGINT/SIGTERM.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  verification: 3,
  partial: 4,
  auth: 5,
} as const;

/** Base class: an error the user can act on, with its exit code. */
export class RepoClonerError extends Error {
  /** Process exit code for this error. */
  readonly exitCode: number;
  /** Machine-readable kind, logged as `error_type`. */
  readonly errorType: string;
  constructor(message: string, options: { exitCode?: number; errorType?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? ExitCode.failed;
    this.errorType = options.errorType ?? this.name;
  }
}

/** Bad command line, bad config file, bad environment variable. Exit 2. */
export class UsageError extends RepoClonerError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.usage, errorType: "ConfigError" });
  }
}

/** An archive failed an integrity or authenticity check. Exit 3. */
export class VerificationError extends RepoClonerError {
  /** The archive entry (or volume) that failed first, when known. */
  readonly entry?: string;
  constructor(message: string, options: { entry?: string; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.verification, errorType: "VerificationError" });
    this.entry = options.entry;
  }
}

/** A token was rejected or lacks permission. Exit 5. Never retried. */
export class AuthError extends RepoClonerError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.auth, errorType: "AuthenticationError" });
  }
}

/** A fault worth retrying: timeouts, resets, HTTP 5xx/429. `retryAfterMs` honours server hints. */
export class TransientError extends RepoClonerError {
  readonly retryAfterMs?: number;
  constructor(message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.failed, errorType: "NetworkError" });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Some repositories or targets failed while others succeeded. Exit 4. */
export class PartialFailureError extends RepoClonerError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.partial, errorType: "PartialFailure" });
  }
}

/** An archive operation failed (size limit, bad source, push rejected...). Exit 1. */
export class ArchiveError extends RepoClonerError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.failed, errorType: "ArchiveError" });
  }
}

/** The run was interrupted by a signal; exit 130 (SIGINT) or 143 (SIGTERM). */
export class InterruptedError extends RepoClonerError {
  constructor(signal: "SIGINT" | "SIGTERM") {
    super(`Interrupted by ${signal}: staging removed, nothing left half-written`, {
      exitCode: signal === "SIGINT" ? 130 : 143,
      errorType: "Interrupted",
    });
  }
}

/** Exit code for any thrown value: domain errors carry theirs, anything else is 1. */
export function exitCodeOf(error: unknown): number {
  return error instanceof RepoClonerError ? error.exitCode : ExitCode.failed;
}
