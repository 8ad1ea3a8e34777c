import { ExitCode, RepoClonerError } from "../errors.ts";

/** Why an ecosystem could not be fetched or installed. */
export type DependencyFailureKind =
  | "network"
  | "auth"
  | "not_found"
  | "tool_missing"
  | "unsupported"
  | "failed";

/**
 * A dependency ecosystem failed. Without `--strict-dependencies` it becomes a warning and the
 * ecosystem is marked "missing"; with it, the error is thrown: exit 5 for rejected credentials,
 * otherwise exit 1. The message never carries a token (it passes the redactor before display).
 */
export class DependencyError extends RepoClonerError {
  /** "python" | "nodejs". */
  readonly ecosystem: string;
  readonly kind: DependencyFailureKind;
  constructor(
    message: string,
    options: { ecosystem: string; kind: DependencyFailureKind; cause?: unknown },
  ) {
    super(message, {
      cause: options.cause,
      exitCode: options.kind === "auth" ? ExitCode.auth : ExitCode.failed,
      errorType: options.kind === "auth"
        ? "AuthenticationError"
        : options.kind === "network"
        ? "NetworkError"
        : "DependencyError",
    });
    this.ecosystem = options.ecosystem;
    this.kind = options.kind;
  }
}
