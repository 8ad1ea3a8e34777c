import type { GitAuth } from "../git/git.ts";
import type { ModuleLogger } from "../log/logger.ts";
import type { Side } from "./bidi_plan.ts";
import { freeRefName, listRefsUnder, pushWithLease } from "./bidi_push.ts";
import { BACKUP_PREFIX, type RefUpdate } from "./bidi_resolve.ts";

/** Where and how to push one side. */
export interface SideRemote {
  url: string;
  auth: GitAuth;
  /** Wraps errors of this side (names the token in auth errors). */
  wrap: (e: unknown) => unknown;
}

/** Options of {@link applyUpdates}. */
export interface ApplyOptions {
  /** The cache holding every object to push. */
  cwd: string;
  /** Per-call git options (timeout of the attempt, logger, signal). */
  git: () => { timeoutMs?: number; logger?: ModuleLogger; signal?: AbortSignal };
  /** Called for every update the remote accepted, as soon as it did (so a later failure keeps the record). */
  onApplied: (u: RefUpdate) => void;
}

/** What {@link applyUpdates} did. */
export interface ApplyResult {
  /** Updates whose losing tip was saved under its backup ref. */
  backedUp: Set<RefUpdate>;
  /** Refs a remote refused (a lease broke), backup refs included. */
  rejected: Array<{ side: Side; ref: string; reason: string }>;
}

/**
 * Pushes the updates side by side (target first): for each side, first every losing tip to a free
 * backup ref name (`<name>`, else `<name>-2`…, checked with one `ls-remote` of the backup namespace;
 * the names in `updates` are updated in place), then every update whose backup landed, each guarded
 * by its lease. Refusals are collected, not thrown.
 * @throws whatever a push or listing throws (network, auth), wrapped by the side's `wrap`.
 */
export async function applyUpdates(
  updates: readonly RefUpdate[],
  remotes: Record<Side, SideRemote>,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const result: ApplyResult = { backedUp: new Set(), rejected: [] };
  for (const side of ["target", "source"] as const) {
    const ups = updates.filter((u) => u.side === side);
    if (ups.length === 0) continue;
    const { url, auth, wrap } = remotes[side];
    const base = () => ({ cwd: options.cwd, auth, ...options.git() });
    const backups = ups.filter((u) => u.backup);
    if (backups.length > 0) {
      const taken = await listRefsUnder(url, BACKUP_PREFIX, base()).catch((e) => {
        throw wrap(e);
      });
      for (const u of backups) {
        u.backup!.ref = freeRefName(u.backup!.ref, taken);
        taken.add(u.backup!.ref);
      }
      const r = await pushWithLease(
        url,
        backups.map((u) => ({ ref: u.backup!.ref, sha: u.backup!.sha })),
        base(),
      )
        .catch((e) => {
          throw wrap(e);
        });
      const done = new Set(r.done);
      for (const u of backups) if (done.has(u.backup!.ref)) result.backedUp.add(u);
      for (const x of r.rejected) {
        result.rejected.push({ side, ref: x.ref, reason: `backup refused: ${x.reason}` });
      }
    }
    // An overwrite whose backup did not land is not attempted.
    const ready = ups.filter((u) => !u.backup || result.backedUp.has(u));
    if (ready.length === 0) continue;
    const r = await pushWithLease(
      url,
      ready.map((u) => ({ ref: u.ref, sha: u.sha, expected: u.expected })),
      base(),
    )
      .catch((e) => {
        throw wrap(e);
      });
    const done = new Set(r.done);
    for (const u of ready) if (done.has(u.ref)) options.onApplied(u);
    for (const x of r.rejected) result.rejected.push({ side, ref: x.ref, reason: x.reason });
  }
  return result;
}
