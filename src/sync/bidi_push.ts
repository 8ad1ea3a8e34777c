import { classifyGitFailure, git, type GitAuth } from "../git/git.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { parsePorcelain } from "../git/push.ts";

/** One ref to set on a remote, guarded by a lease. */
export interface LeasedUpdate {
  ref: string;
  /** New object; undefined deletes the ref. */
  sha?: string;
  /** The object the ref must point to on the remote right now; undefined: it must not exist. */
  expected?: string;
}

/** Options of {@link pushWithLease}. */
export interface LeasedPushOptions {
  /** Repository holding the objects (the cache). */
  cwd: string;
  auth?: GitAuth;
  timeoutMs?: number;
  logger?: ModuleLogger;
  signal?: AbortSignal;
}

/** What the remote did with each ref. */
export interface LeasedPushResult {
  /** Refs updated, created or deleted. */
  done: string[];
  /** Refs refused (lease broken: the ref moved since we looked, or a server-side refusal), with git's reason. */
  rejected: Array<{ ref: string; reason: string }>;
}

/**
 * Pushes `updates` to `url` by object id, each with `--force-with-lease=<ref>:<expected>` (empty
 * expected: the ref must not exist), so a ref that moved since it was read is refused instead of
 * overwritten — whether it moved before git read the remote's refs (git refuses: "stale info") or
 * while the push was in flight (the server's compare-and-swap refuses). Not atomic: refs are
 * refused one by one. Batches of 100 keep the command line short.
 * @throws AuthError, TransientError, GitError for failures that are not per-ref refusals.
 */
export async function pushWithLease(
  url: string,
  updates: readonly LeasedUpdate[],
  options: LeasedPushOptions,
): Promise<LeasedPushResult> {
  const result: LeasedPushResult = { done: [], rejected: [] };
  for (let i = 0; i < updates.length; i += 100) {
    const batch = updates.slice(i, i + 100);
    const leases = batch.map((u) => `--force-with-lease=${u.ref}:${u.expected ?? ""}`);
    const specs = batch.map((u) => u.sha === undefined ? `:${u.ref}` : `${u.sha}:${u.ref}`);
    const r = await git(["push", "--porcelain", "--no-verify", ...leases, "--", url, ...specs], {
      cwd: options.cwd,
      auth: options.auth,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      signal: options.signal,
      okCodes: [1],
    });
    const lines = parsePorcelain(r.stdout);
    const refused = lines.filter((l) => l.flag === "!");
    if (r.code !== 0 && refused.length === 0) throw classifyGitFailure("git push", r.code, r.stderr);
    for (const l of lines) {
      if (l.flag === "!") result.rejected.push({ ref: l.ref, reason: l.summary });
      else result.done.push(l.ref);
    }
    // A ref git never reported on was not pushed: count it as refused rather than done.
    const seen = new Set(lines.map((l) => l.ref));
    for (const u of batch) {
      if (!seen.has(u.ref)) result.rejected.push({ ref: u.ref, reason: "not reported by git push" });
    }
  }
  return result;
}

/**
 * The refs under `prefix` on a remote (`git ls-remote <url> <prefix>*`), e.g. the backup refs that
 * already exist, so a new backup never reuses a name.
 */
export async function listRefsUnder(
  url: string,
  prefix: string,
  options: LeasedPushOptions,
): Promise<Set<string>> {
  const r = await git(["ls-remote", "--", url, `${prefix}*`], {
    cwd: options.cwd,
    auth: options.auth,
    timeoutMs: options.timeoutMs,
    logger: options.logger,
    signal: options.signal,
  });
  return new Set(
    r.stdout.split("\n").map((l) => l.split("\t")[1]).filter((ref): ref is string =>
      ref?.startsWith(prefix) === true
    ),
  );
}

/** `name`, or `name-2`, `name-3`… the first not in `taken` (two backups of one branch in one second). */
export function freeRefName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  for (let i = 2; i < 1000; i++) if (!taken.has(`${name}-${i}`)) return `${name}-${i}`;
  throw new RangeError(`Cannot name a backup ref: "${name}" and its 998 variants are taken`);
}
