import { redactor } from "../log/redact.ts";

/** All the text an error carries: its message and, for git failures, the stderr of its cause. */
function textOf(error: unknown): { message: string; stderr: string } {
  const message = error instanceof Error ? error.message : String(error);
  const cause = (error as { cause?: { stderr?: unknown } })?.cause;
  return { message, stderr: typeof cause?.stderr === "string" ? cause.stderr : "" };
}

/** Short reason for the terminal: "Network timeout", "Rate limited", "Server error (HTTP 502)"… */
export function shortReason(error: unknown): string {
  const { message, stderr } = textOf(error);
  const m = `${message}\n${stderr}`;
  if (/timeout|timed out|too slow/i.test(m)) return "Network timeout";
  if (/rate limit/i.test(m) || /\b429\b/.test(m)) return "Rate limited";
  const http = /\b(5\d\d)\b/.exec(m);
  if (http) return `Server error (HTTP ${http[1]})`;
  if (/reset|hung up|early EOF|closed|disconnect|Empty reply/i.test(m)) return "Connection reset";
  return "Network error";
}

const TELLING =
  /timed? ?out|too slow|RPC failed|unable to access|returned error|reset|hung up|refused|Empty reply|HTTP \d{3}|rate limit/i;

/**
 * One informative line for the log: the git stderr line that names the fault (curl's "Operation too
 * slow", "returned error: 502"…) rather than git's last words ("expected flush after ref listing").
 */
export function faultDetail(error: unknown): string {
  const { message, stderr } = textOf(error);
  const line = stderr.split("\n").map((l) => l.trim()).find((l) => TELLING.test(l));
  const text = line ?? message.replace(/^Transient network error: /, "");
  return redactor.redact(text);
}
