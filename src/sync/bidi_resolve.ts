/**
 * Turns a bidirectional plan into ref updates per side, applying the conflict strategy. Pure: the
 * backup ref names depend only on the plan and the `stamp` passed in.
 */
import type { BidiPlan, BidiPlanEntry, ConflictKind, Side } from "./bidi_plan.ts";
import { shortRef } from "./refs.ts";

/** `fail` (`fail_fast`) leaves conflicts alone; `source_wins` / `target_wins` overwrite the losing side. */
export type ConflictStrategy = "fail" | "source_wins" | "target_wins";

/** Namespace of the refs that keep a losing tip before it is overwritten. */
export const BACKUP_PREFIX = "refs/repo-cloner/backup/";

/** One ref update on one side. Every update carries a lease: the object the ref must still point to. */
export interface RefUpdate {
  side: Side;
  ref: string;
  kind: "branch" | "tag";
  /** New object; undefined deletes the ref. */
  sha?: string;
  /** What the ref must point to on that side right now; undefined: it must not exist. */
  expected?: string;
  /** The losing tip, saved under this ref on the same side before the update. */
  backup?: { ref: string; sha: string };
  /** `create`, `fast-forward`, `delete` or `overwrite` (conflict resolved by strategy). */
  why: "create" | "fast-forward" | "delete" | "overwrite";
}

/** A conflict and what was done about it. */
export interface ConflictRecord {
  ref: string;
  kind: "branch" | "tag";
  conflict: ConflictKind;
  reason: string;
  source?: string;
  target?: string;
  strategy: ConflictStrategy;
  /** The side whose tip was kept; undefined when nothing moved. */
  winner?: Side;
  /** Set when the losing side's tip was saved before being overwritten. */
  backup?: { side: Side; ref: string; sha: string };
  /** Why nothing moved, when it did not: `tags are immutable`, `strategy fail`… */
  unresolved?: string;
}

/** Result of {@link resolveBidiPlan}. */
export interface BidiResolution {
  updates: RefUpdate[];
  conflicts: ConflictRecord[];
}

/** UTC `YYYYMMDDTHHMMSSZ`, the backup refs' timestamp. */
export function backupStamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** `refs/repo-cloner/backup/<branch>/<stamp>`. */
export function backupRef(ref: string, stamp: string): string {
  return `${BACKUP_PREFIX}${shortRef(ref)}/${stamp}`;
}

/**
 * Ref updates for every entry that moves something, and a record per conflict. A conflict moves a
 * ref only for a branch under `source_wins` / `target_wins`: the losing side gets the winning tip and
 * its own tip is first saved under {@link backupRef}. When the winner had deleted the branch, the
 * deletion is applied only with `propagateDeletes`. Tag conflicts never move anything.
 */
export function resolveBidiPlan(
  plan: BidiPlan,
  options: { strategy: ConflictStrategy; stamp: string; propagateDeletes?: boolean },
): BidiResolution {
  const updates: RefUpdate[] = [];
  const conflicts: ConflictRecord[] = [];
  for (const e of plan.entries) {
    if (e.action === "create" || e.action === "fast-forward") {
      const from = e.to === "target" ? e.source : e.target;
      const current = e.to === "target" ? e.target : e.source;
      updates.push({ side: e.to!, ref: e.ref, kind: e.kind, sha: from, expected: current, why: e.action });
    } else if (e.action === "delete") {
      const current = e.to === "target" ? e.target : e.source;
      updates.push({ side: e.to!, ref: e.ref, kind: e.kind, expected: current, why: "delete" });
    } else if (e.action === "conflict") {
      const { record, update } = resolveConflict(e, options);
      conflicts.push(record);
      if (update) updates.push(update);
    }
  }
  return { updates, conflicts };
}

function resolveConflict(
  e: BidiPlanEntry,
  options: { strategy: ConflictStrategy; stamp: string; propagateDeletes?: boolean },
): { record: ConflictRecord; update?: RefUpdate } {
  const record: ConflictRecord = {
    ref: e.ref,
    kind: e.kind,
    conflict: e.conflict!,
    reason: e.reason,
    source: e.source,
    target: e.target,
    strategy: options.strategy,
  };
  if (e.kind === "tag") return { record: { ...record, unresolved: "tags are immutable" } };
  if (options.strategy === "fail") {
    return { record: { ...record, unresolved: "manual intervention required" } };
  }
  const winner: Side = options.strategy === "source_wins" ? "source" : "target";
  const loser: Side = winner === "source" ? "target" : "source";
  const win = winner === "source" ? e.source : e.target;
  const lose = loser === "source" ? e.source : e.target;
  if (win === undefined && !options.propagateDeletes) {
    return {
      record: {
        ...record,
        unresolved: `the ${winner} deleted it and deletions are not propagated (propagate_deletes is off)`,
      },
    };
  }
  const backup = lose === undefined ? undefined : { ref: backupRef(e.ref, options.stamp), sha: lose };
  return {
    record: { ...record, winner, backup: backup && { side: loser, ...backup } },
    update: {
      side: loser,
      ref: e.ref,
      kind: e.kind,
      sha: win,
      expected: lose,
      backup,
      why: win === undefined ? "delete" : lose === undefined ? "create" : "overwrite",
    },
  };
}
