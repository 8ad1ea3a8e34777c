/**
 * The per-ref plan of a bidirectional sync: a pure function of the two sides' tips, the tips of the
 * last sync (the state) and answers to "is X an ancestor of Y?". No I/O; the same input always gives
 * the same plan. Strategies (which side wins a conflict) are applied afterwards by `resolveBidiPlan`.
 */
import { refKind, type RefMap } from "./refs.ts";

/** One end of a bidirectional pair. */
export type Side = "source" | "target";

/**
 * What happens to one ref:
 * - `up-to-date`: same object on both sides.
 * - `create`: on one side only and not in the state (new since the last sync) → created on `to`.
 * - `fast-forward`: `to` is behind: its tip is an ancestor of the other side's → moved forward.
 * - `delete`: deleted on one side since the last sync, unchanged on the other, `propagate_deletes` on →
 *   deleted on `to`.
 * - `deleted`: the same without `propagate_deletes`: reported, nothing moves.
 * - `gone`: deleted on both sides; the state forgets it.
 * - `conflict`: see {@link ConflictKind}; a strategy may resolve it, tags never.
 */
export type BidiAction =
  | "up-to-date"
  | "create"
  | "fast-forward"
  | "delete"
  | "deleted"
  | "gone"
  | "conflict";

/**
 * - `diverged`: both sides changed and neither tip contains the other (or, without state, unrelated histories).
 * - `rewritten`: a side's tip no longer contains the last synced tip (force-pushed or reset since).
 * - `delete-modify`: deleted on one side, changed on the other since the last sync.
 * - `tag`: a tag that points to different objects on the two sides (tags are immutable).
 */
export type ConflictKind = "diverged" | "rewritten" | "delete-modify" | "tag";

/** The plan for one ref. */
export interface BidiPlanEntry {
  ref: string;
  kind: "branch" | "tag";
  action: BidiAction;
  /** Object on the source side (tag object for annotated tags), absent when the ref is not there. */
  source?: string;
  /** Object on the target side. */
  target?: string;
  /** Object at the last sync (from the state). */
  base?: string;
  /** The side that changes (`create`, `fast-forward`, `delete`) or, for `deleted`, the side that still has it. */
  to?: Side;
  conflict?: ConflictKind;
  /** Why, in words: `changed on source only`, `deleted on target since the last sync`… */
  reason: string;
}

/** Input of {@link planBidirectional}. */
export interface BidiPlanInput {
  source: RefMap;
  target: RefMap;
  /** Last synced object per ref; undefined when there is no (usable) state: every ref is then new. */
  state?: ReadonlyMap<string, string>;
  /**
   * Answers to the questions of {@link ancestryQuestions}, keyed by {@link ancestryKey}. A missing
   * answer counts as "not an ancestor": the safe side, which never moves a ref it could not prove safe.
   */
  ancestry?: ReadonlyMap<string, boolean>;
  /** Delete on the other side what was deleted on one side since the last sync. Default false. */
  propagateDeletes?: boolean;
}

/** The plan of one repository pair. */
export interface BidiPlan {
  /** Every ref of either side or of the state, in ref order. */
  entries: BidiPlanEntry[];
  conflicts: BidiPlanEntry[];
}

/** Key of the question "is `ancestor` an ancestor of (or equal to) `descendant`?". */
export function ancestryKey(ancestor: string, descendant: string): string {
  return `${ancestor}..${descendant}`;
}

const other = (side: Side): Side => side === "source" ? "target" : "source";

/**
 * The ancestry questions {@link planBidirectional} needs, as `[ancestor, descendant]` commit pairs:
 * for every branch present on both sides with different tips, each tip against the other and, when
 * the state knows the branch, the state's tip against each side's.
 */
export function ancestryQuestions(
  input: Pick<BidiPlanInput, "source" | "target" | "state">,
): Array<[string, string]> {
  const out = new Map<string, [string, string]>();
  const ask = (a: string, d: string) => {
    if (a !== d) out.set(ancestryKey(a, d), [a, d]);
  };
  for (const [ref, s] of input.source) {
    const t = input.target.get(ref);
    if (!t || t.sha === s.sha || refKind(ref) !== "branch") continue;
    ask(t.commit, s.commit);
    ask(s.commit, t.commit);
    const b = input.state?.get(ref);
    if (b) {
      ask(b, s.commit);
      ask(b, t.commit);
    }
  }
  return [...out.values()].sort((x, y) => ancestryKey(...x).localeCompare(ancestryKey(...y)));
}

/** Plans every ref of one repository pair. Pure: no I/O, same input → same plan. */
export function planBidirectional(input: BidiPlanInput): BidiPlan {
  const refs = [...new Set([...input.source.keys(), ...input.target.keys(), ...(input.state?.keys() ?? [])])]
    .sort();
  const entries = refs.map((ref) => planRef(ref, input));
  return { entries, conflicts: entries.filter((e) => e.action === "conflict") };
}

function planRef(ref: string, input: BidiPlanInput): BidiPlanEntry {
  const s = input.source.get(ref);
  const t = input.target.get(ref);
  const base = input.state?.get(ref);
  const kind = refKind(ref);
  const e = (action: BidiAction, reason: string, extra: Partial<BidiPlanEntry> = {}): BidiPlanEntry => ({
    ref,
    kind,
    action,
    source: s?.sha,
    target: t?.sha,
    base,
    reason,
    ...extra,
  });
  if (!s && !t) return e("gone", "deleted on both sides");
  if (s && t && s.sha === t.sha) return e("up-to-date", "same on both sides");
  if (!s || !t) {
    const has: Side = s ? "source" : "target";
    const tip = (s ?? t)!.sha;
    if (base === undefined) {
      return e("create", `new on ${has}`, { to: other(has) });
    }
    if (tip === base) {
      return input.propagateDeletes
        ? e("delete", `deleted on ${other(has)} since the last sync`, { to: has })
        : e("deleted", `deleted on ${other(has)} since the last sync (propagate_deletes is off)`, {
          to: has,
        });
    }
    return e("conflict", `deleted on ${other(has)}, changed on ${has} since the last sync`, {
      conflict: kind === "tag" ? "tag" : "delete-modify",
    });
  }
  if (kind === "tag") {
    return e("conflict", "points to different objects on the two sides (tags are immutable)", {
      conflict: "tag",
    });
  }
  const anc = (a: string, d: string) => a === d || input.ancestry?.get(ancestryKey(a, d)) === true;
  if (base !== undefined) {
    const sKeeps = anc(base, s.commit);
    const tKeeps = anc(base, t.commit);
    if (!sKeeps || !tKeeps) {
      const who = !sKeeps && !tKeeps ? "both sides" : !sKeeps ? "source" : "target";
      return e("conflict", `history rewritten on ${who} since the last sync`, { conflict: "rewritten" });
    }
  }
  if (anc(t.commit, s.commit)) {
    return e("fast-forward", t.sha === base ? "changed on source only" : "target is behind source", {
      to: "target",
    });
  }
  if (anc(s.commit, t.commit)) {
    return e("fast-forward", s.sha === base ? "changed on target only" : "source is behind target", {
      to: "source",
    });
  }
  return e(
    "conflict",
    base === undefined
      ? "different histories and no sync state"
      : "changed on both sides since the last sync",
    { conflict: "diverged" },
  );
}
