import { refKind, type RefMap } from "./refs.ts";

/**
 * What to do with one ref:
 * - `create`: on the source only → push it.
 * - `fast-forward`: the target tip is an ancestor of the source tip → push it.
 * - `up-to-date`: same object on both sides → nothing.
 * - `diverged`: a branch whose target tip is not an ancestor of the source tip, or a tag that points
 *   elsewhere on the target → never force-pushed, reported.
 * - `target-only`: on the target only → left alone.
 * - `delete`: on the target only and pruning is on → deleted on the target.
 */
export type RefAction = "create" | "fast-forward" | "up-to-date" | "diverged" | "target-only" | "delete";

/** The plan for one ref. */
export interface RefPlanEntry {
  ref: string;
  kind: "branch" | "tag";
  action: RefAction;
  /** Source object (tag object for annotated tags). */
  source?: string;
  /** Target object. */
  target?: string;
}

/** Input of {@link planRefs}: everything the decision depends on. */
export interface PlanInput {
  source: RefMap;
  target: RefMap;
  /**
   * For each branch of {@link refsNeedingAncestry}: is the target tip an ancestor of the source tip?
   * A missing answer counts as "no" (the safe side: never overwrite what we could not prove).
   */
  ancestry?: ReadonlyMap<string, boolean>;
  /** Delete target-only refs. Default false. */
  prune?: boolean;
  /**
   * Last synced tips per ref, for strategies that need history (bidirectional sync). One-way
   * planning does not read it; it is part of the input so that extensions stay pure functions.
   */
  state?: ReadonlyMap<string, string>;
}

/** The ref plan of one repository for one target. */
export interface RefPlan {
  entries: RefPlanEntry[];
  /** Refs to push (create + fast-forward), in ref order. */
  push: RefPlanEntry[];
  /** Refs to delete on the target (prune). */
  delete: RefPlanEntry[];
  diverged: RefPlanEntry[];
}

/** Branches on both sides with different tips: their ancestry decides fast-forward vs diverged. */
export function refsNeedingAncestry(source: RefMap, target: RefMap): string[] {
  const out: string[] = [];
  for (const [ref, tip] of source) {
    const t = target.get(ref);
    if (t && t.sha !== tip.sha && refKind(ref) === "branch") out.push(ref);
  }
  return out.sort();
}

/** Plans every ref of one repository for one target. Pure: no I/O, same input → same plan. */
export function planRefs(input: PlanInput): RefPlan {
  const entries: RefPlanEntry[] = [];
  const refs = [...new Set([...input.source.keys(), ...input.target.keys()])].sort();
  for (const ref of refs) {
    const s = input.source.get(ref);
    const t = input.target.get(ref);
    const kind = refKind(ref);
    let action: RefAction;
    if (s && !t) action = "create";
    else if (!s && t) action = input.prune ? "delete" : "target-only";
    else if (s!.sha === t!.sha) action = "up-to-date";
    else if (kind === "tag") action = "diverged";
    else action = input.ancestry?.get(ref) === true ? "fast-forward" : "diverged";
    entries.push({ ref, kind, action, source: s?.sha, target: t?.sha });
  }
  return {
    entries,
    push: entries.filter((e) => e.action === "create" || e.action === "fast-forward"),
    delete: entries.filter((e) => e.action === "delete"),
    diverged: entries.filter((e) => e.action === "diverged"),
  };
}
