import type { BidiPlanEntry, Side } from "./bidi_plan.ts";
import type { ConflictRecord, ConflictStrategy } from "./bidi_resolve.ts";
import type { BidiStateStatus } from "./bidi_state.ts";

/** What moved onto one side. */
export interface SideCounts {
  /** Commits the side did not have before. */
  commits: number;
  /** Branches created, fast-forwarded or overwritten. */
  branches: number;
  /** Tags created. */
  tags: number;
  /** Refs deleted (`propagate_deletes`, or a winning side's deletion). */
  deleted: number;
}

/** A conflict as reported: the record, and whether its resolution reached the losing side. */
export interface ReportedConflict extends ConflictRecord {
  /** True when the winning tip (and the backup) were pushed; false when nothing moved. */
  applied: boolean;
  /** True when the losing tip was saved under `backup.ref` (even if the overwrite was then refused). */
  backup_saved: boolean;
}

/** The bidirectional part of a repository's outcome (`TargetOutcome.bidirectional`). */
export interface BidiOutcome {
  strategy: ConflictStrategy;
  propagate_deletes: boolean;
  /** Forge names of the two sides, for messages: `{source: "GitLab", target: "GitHub"}`. */
  sides: Record<Side, string>;
  /** How the state was found, its file, and why it was not used. */
  state: { status: BidiStateStatus; file: string; message?: string };
  /** Per-ref plan: every ref in a dry run, otherwise the refs that were not already in step. */
  plan: BidiPlanEntry[];
  conflicts: ReportedConflict[];
  to_source: SideCounts;
  to_target: SideCounts;
  /** Short names of refs deleted on one side and kept on the other (`propagate_deletes` off). */
  deleted_not_propagated: string[];
}

/** Zero counts. */
export function noCounts(): SideCounts {
  return { commits: 0, branches: 0, tags: 0, deleted: 0 };
}
