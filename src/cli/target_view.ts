/**
 * Per-target pieces of the sync view, for runs with several targets or with git/s3 targets:
 * `✓ github ✗ git ✓ s3` on the repository line, then one line per failed target and per upload.
 */
import type { RepoSyncResult, SyncRunResult, TargetOutcome } from "../sync/types.ts";
import { formatBytes, formatSeconds } from "./terminal.ts";

type Style = (name: "green" | "yellow" | "red", text: string) => string;

/** True when the repository line should name its targets: several, or any that is not a forge. */
export function showsTargets(r: RepoSyncResult): boolean {
  return r.targets.length > 1 || r.targets.some((t) => t.target_type === "git" || t.target_type === "s3");
}

/** Short name of a target on the repository line: its type, or its label when two share a type. */
function nameOf(t: TargetOutcome, all: TargetOutcome[]): string {
  const type = t.target_type ?? t.target;
  return all.filter((x) => (x.target_type ?? x.target) === type).length > 1 ? t.target : type;
}

/** `✓ github ✗ git ✓ s3` (⚠ for a target left diverged). */
export function targetMarks(r: RepoSyncResult, style: Style): string {
  return r.targets.map((t) => {
    const mark = t.status === "failure"
      ? style("red", "✗")
      : t.status === "diverged"
      ? style("yellow", "⚠")
      : style("green", "✓");
    return `${mark} ${nameOf(t, r.targets)}`;
  }).join(" ");
}

/** Lines under the repository line: why each failed target failed, and each archive uploaded. */
export function targetDetailLines(r: RepoSyncResult, style: Style): string[] {
  const lines: string[] = [];
  for (const t of r.targets) {
    if (t.status === "failure") lines.push(`      ${style("red", "✗")} ${nameOf(t, r.targets)}: ${t.error}`);
    const a = t.archive;
    if (a) {
      lines.push(
        `      ${style("green", "✓")} Uploaded to: ${a.url} (${a.type}, ${formatBytes(a.size)}, ${
          formatSeconds(a.upload_seconds * 1000)
        }, sha256 checked)`,
      );
      if (a.retention_deleted.length) {
        lines.push(`      Retention: removed ${a.retention_deleted.length} older object(s)`);
      }
      if (a.retention_error) lines.push(`      ${style("yellow", "⚠")} Retention: ${a.retention_error}`);
    }
  }
  return lines;
}

/** `☁️  Uploading to s3://…/x.tar.gz (2.1 KB)...`: the spec's upload step, as it starts. */
export function uploadLine(e: { repository: string; url: string; size: number }): string {
  return `   ☁️  Uploading to ${e.url} (${formatBytes(e.size)})...`;
}

/** The summary's failed-target block; empty when every target of every repository went through. */
export function failedTargetLines(result: SyncRunResult): string[] {
  if (result.failed_targets.length === 0) return [];
  return [
    `  Failed targets: ${result.failed_targets.length}`,
    ...result.failed_targets.map((f) => `    ✗ ${f.repository} → ${f.target}: ${f.error}`),
  ];
}
