/**
 * Session ids look like `sync-20251013-153000`: the operation and the UTC start time. A short random
 * suffix is added only when asked, for runs that may start in the same second.
 */
export function sessionId(kind: string, now: Date = new Date(), suffix = false): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-` +
    `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  const rand = suffix ? "-" + Math.random().toString(16).slice(2, 6) : "";
  return `${kind}-${stamp}${rand}`;
}

/** `YYYYMMDD-HHMMSS` in UTC, as used in archive names. */
export function timestamp(now: Date = new Date()): string {
  return sessionId("x", now).slice(2);
}

/** Default log path for a session: `/tmp/repo-cloner-<session>.log`. */
export function defaultLogPath(id: string): string {
  return `/tmp/repo-cloner-${id}.log`;
}
