/**
 * Turns the operating system's file errors that reach the top (ENOSPC, EROFS, EACCES, EDQUOT...) into
 * one-line messages that say what happened and what to do. Everything else is returned unchanged.
 */
import { RepoClonerError } from "../errors.ts";

const HINTS: Record<string, { state: string; todo: string }> = {
  ENOSPC: { state: "no space left on the device", todo: "Free some space or choose another directory" },
  EDQUOT: { state: "the disk quota is exhausted", todo: "Free some space or choose another directory" },
  EROFS: { state: "the filesystem is read-only", todo: "Choose a writable directory" },
  EACCES: { state: "permission denied", todo: "Check the directory's owner and mode, or choose another" },
  EPERM: {
    state: "operation not permitted",
    todo: "Check the directory's owner and mode, or choose another",
  },
  EMFILE: { state: "too many open files", todo: "Raise the open-file limit (ulimit -n)" },
};

/**
 * A {@link RepoClonerError} (exit 1) for a bare node:fs error with a known code, keeping the original as
 * `cause`; any other value is returned as is.
 */
export function explainSystemError(error: unknown): unknown {
  if (error instanceof RepoClonerError || !(error instanceof Error)) return error;
  const e = error as NodeJS.ErrnoException;
  const hint = e.code ? HINTS[e.code] : undefined;
  if (!hint) return error;
  const where = e.path ? ` "${e.path}"` : "";
  const action = e.syscall ? `${e.syscall}${where}` : `write${where}`;
  return new RepoClonerError(`Cannot ${action}: ${hint.state} (${e.code}). ${hint.todo}`, {
    cause: error,
    errorType: e.code === "ENOSPC" || e.code === "EDQUOT" ? "DiskFull" : "FileSystemError",
  });
}
