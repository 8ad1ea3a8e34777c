import { RepoClonerError } from "../errors.ts";
import { redactor } from "../log/redact.ts";
import type { TargetOutcome } from "./types.ts";

/** A target that failed in one attempt, with the error as thrown (the engine decides on retries). */
export interface TargetFailure {
  /** Label of the target. */
  target: string;
  error: unknown;
}

/**
 * Marks `out` failed with `error` (message redacted, type from the typed error) and returns the
 * failure record. Counts and plans already filled stay as they are.
 */
export function failTarget(out: TargetOutcome, error: unknown): TargetFailure {
  out.status = "failure";
  out.error = redactor.redact(error instanceof Error ? error.message : String(error));
  out.error_type = error instanceof RepoClonerError ? error.errorType : (error as Error)?.name ?? "Error";
  return { target: out.target, error };
}
