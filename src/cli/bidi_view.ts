/**
 * Terminal lines of one repository of a bidirectional sync, as in the spec:
 * `✓ repo: No conflicts detected`, or per conflict `⚠ repo: Conflict detected on branch 'main'`, both
 * heads and the resolution (with the backup ref when a side was overwritten); in a dry run, the
 * per-ref plan.
 */
import type { BidiOutcome, ReportedConflict, SideCounts } from "../sync/bidi_outcome.ts";
import type { BidiPlanEntry, Side } from "../sync/bidi_plan.ts";
import { shortRef } from "../sync/refs.ts";
import type { RepoSyncResult } from "../sync/types.ts";
import { formatCount } from "./terminal.ts";

/** Colours the caller's terminal supports (identity when colour is off). */
export type Style = (name: "green" | "yellow" | "red", text: string) => string;

const short = (sha?: string) => sha ? sha.slice(0, 7) : "(deleted)";
const other = (s: Side): Side => s === "source" ? "target" : "source";
const plural = (n: number, w: string) =>
  `${formatCount(n)} ${w}${n === 1 ? "" : w.endsWith("ch") ? "es" : "s"}`;

/** The lines for one repository whose result carries a bidirectional outcome. */
export function bidiRepoLines(
  r: RepoSyncResult,
  b: BidiOutcome,
  options: { dryRun: boolean; style: Style },
): string[] {
  const { style } = options;
  const out: string[] = [];
  if (b.state.status === "corrupt" || b.state.status === "other-pair") {
    out.push(`${style("yellow", "⚠")} ${r.repository}: ${b.state.message}`);
  }
  if (options.dryRun) out.push(...planLines(r.repository, b));
  else {
    for (const c of b.conflicts) out.push(...conflictLines(r.repository, b, c, false));
    if (b.conflicts.length === 0) out.push(`${style("green", "✓")} ${r.repository}: No conflicts detected`);
    out.push(...movedLines(b));
  }
  if (b.state.status === "missing") out.push(`  ${b.state.message}`);
  return out;
}

function conflictLines(repo: string, b: BidiOutcome, c: ReportedConflict, dryRun: boolean): string[] {
  const what = c.kind === "tag" ? "tag" : "branch";
  const head = c.kind === "tag" ? "tag" : "HEAD";
  return [
    `⚠ ${repo}: Conflict detected on ${what} '${shortRef(c.ref)}'`,
    `  ${b.sides.source} ${head}: ${short(c.source)}`,
    `  ${b.sides.target} ${head}: ${short(c.target)}`,
    `  Resolution: ${resolutionText(b, c, dryRun)}`,
  ];
}

/** `fail_fast (manual intervention required)`, or what was (would be) done and where the backup is. */
export function resolutionText(b: BidiOutcome, c: ReportedConflict, dryRun: boolean): string {
  if (c.kind === "tag") return "none, tags are immutable (manual intervention required)";
  if (c.strategy === "fail") return "fail_fast (manual intervention required)";
  if (c.unresolved) return `${c.strategy} not applied: ${c.unresolved} (manual intervention required)`;
  if (!dryRun && !c.applied) return `${c.strategy} refused, nothing overwritten (retried next run)`;
  const loser = other(c.winner!);
  const ref = `${b.sides[loser]} ${shortRef(c.ref)}`;
  const win = c.winner === "source" ? c.source : c.target;
  const act = win === undefined
    ? `${dryRun ? "would delete" : "deleted"} ${ref}`
    : `${ref} ${dryRun ? "would be set" : "set"} to ${b.sides[c.winner!]} ${short(win)}`;
  const saved = c.backup
    ? `; previous ${b.sides[loser]} HEAD ${short(c.backup.sha)} ${
      dryRun ? "would be saved" : "saved"
    } as ${c.backup.ref}`
    : "";
  return `${c.strategy} (${act}${saved})`;
}

function movedLines(b: BidiOutcome): string[] {
  const out: string[] = [];
  const line = (from: Side, c: SideCounts) => {
    const parts = [
      c.branches ? plural(c.branches, "branch") : "",
      c.tags ? plural(c.tags, "tag") : "",
      c.deleted ? `${formatCount(c.deleted)} deleted` : "",
    ].filter(Boolean);
    if (parts.length) {
      out.push(
        `  ${b.sides[from]} → ${b.sides[other(from)]}: ${parts.join(", ")} (${plural(c.commits, "commit")})`,
      );
    }
  };
  line("source", b.to_target);
  line("target", b.to_source);
  if (b.deleted_not_propagated.length) {
    out.push(
      `  Deleted on one side only, kept (propagate_deletes is off): ${b.deleted_not_propagated.join(", ")}`,
    );
  }
  return out;
}

function planLines(repo: string, b: BidiOutcome): string[] {
  const moving = b.plan.filter((e) => e.action !== "up-to-date" && e.action !== "gone").length;
  const out = [`→ ${repo}: ${moving === 0 ? "nothing to do" : plural(moving, "ref")} to act on (dry run)`];
  for (const e of b.plan) out.push(`  ${e.kind} ${shortRef(e.ref)}: ${planText(e, b)}`);
  for (const c of b.conflicts) out.push(...conflictLines(repo, b, c, true));
  return out;
}

/** One ref's plan in words: `fast-forward GitHub 1a2b3c4 → 5d6e7f8 (changed on source only)`. */
export function planText(e: BidiPlanEntry, b: BidiOutcome): string {
  const from = e.to === "target" ? e.source : e.target;
  const at = e.to === "target" ? e.target : e.source;
  const side = e.to ? b.sides[e.to] : "";
  switch (e.action) {
    case "up-to-date":
      return `up to date (${short(e.source)})`;
    case "gone":
      return "deleted on both sides";
    case "create":
      return `create on ${side} at ${short(from)} (${e.reason})`;
    case "fast-forward":
      return `fast-forward ${side} ${short(at)} → ${short(from)} (${e.reason})`;
    case "delete":
      return `delete on ${side} (${e.reason})`;
    case "deleted":
      return `keep on ${side}, report (${e.reason})`;
    case "conflict":
      return `conflict: ${e.reason}`;
  }
}
