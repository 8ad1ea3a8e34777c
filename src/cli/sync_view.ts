import type { SyncEvents } from "../sync/engine.ts";
import type { SyncSettings } from "../sync/settings.ts";
import type { RepoSyncResult, SyncRunResult } from "../sync/types.ts";
import { bidiRepoLines } from "./bidi_view.ts";
import { formatCount, formatDuration, formatSeconds, type Terminal } from "./terminal.ts";
import {
  failedTargetLines,
  showsTargets,
  targetDetailLines,
  targetMarks,
  uploadLine,
} from "./target_view.ts";
import { gitLabel, s3Label } from "../sync/target_settings.ts";

const FORGE: Record<string, string> = { github: "GitHub", gitlab: "GitLab", git: "Git", s3: "S3" };

function plural(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? "" : word.endsWith("ch") ? "es" : "s"}`;
}

/**
 * The spec's terminal view of a sync: header, discovery, one `[i/N] name... ✓ (…)` line per
 * repository in completion order (a repository keeps the index of its first line, so a retry
 * annotation and its final line agree), and the summary block.
 */
export class SyncView {
  #done = 0;
  #index = new Map<string, number>();
  #total = 0;
  #dryRun: boolean;
  #maxRetries: number;
  #bidirectional: boolean;

  /** `bidirectional`: `sync.mode: bidirectional` (header with ↔, the spec's conflict lines). Default false. */
  constructor(
    readonly terminal: Terminal,
    options: { dryRun?: boolean; maxRetries?: number; bidirectional?: boolean } = {},
  ) {
    this.#dryRun = options.dryRun ?? false;
    this.#maxRetries = options.maxRetries ?? 3;
    this.#bidirectional = options.bidirectional ?? false;
  }

  /** `🚀 Starting GitLab → GitHub Synchronization` and the session lines. */
  header(
    e: { sessionId: string; sourceType: string; targetType: string; sources: string[]; targets: string[] },
  ) {
    const t = this.terminal;
    // Several targets: `GitLab → GitHub + S3` (targetType "github+s3").
    const targets = e.targetType.split("+").map((x) => FORGE[x] ?? x).join(" + ");
    t.line(
      `🚀 Starting ${FORGE[e.sourceType] ?? e.sourceType} ${this.#bidirectional ? "↔" : "→"} ${targets} ${
        this.#bidirectional ? "Bidirectional " : ""
      }Synchronization`,
    );
    t.line(`   Session ID: ${e.sessionId}`);
    t.line(`   Source: ${e.sources.join(", ")}`);
    t.line(`   Target: ${e.targets.join(", ")}`);
    if (this.#dryRun) t.line("   Mode: dry run (nothing will be changed)");
    t.line();
    t.line("📁 Discovering repositories...");
  }

  /** Event handlers to pass to `runSync`. */
  events(shard?: { index: number; count: number }): SyncEvents {
    return {
      discovered: (e) =>
        this.terminal.line(
          `   ✓ Found ${formatCount(e.count)} ${
            e.count === 1 ? "repository" : "repositories"
          } in ${e.namespace}`,
        ),
      started: (e) => {
        this.#total = e.total;
        if (shard) {
          this.terminal.line(
            `   ✓ Shard ${shard.index}/${shard.count}: ${e.total} of ${e.discovered} repositories`,
          );
        }
        this.terminal.line();
        this.terminal.line(this.#dryRun ? "🔍 Plan (dry run):" : "📥 Syncing repositories:");
      },
      retrying: (e) => {
        this.terminal.line(
          `   ${this.#prefix(e.repository)} ${this.terminal.style("yellow", "⚠")} ${e.reason} (retrying...)`,
        );
      },
      uploading: (e) => this.terminal.line(uploadLine(e)),
      completed: (r) => {
        const bidi = r.status !== "failure" ? r.targets[0]?.bidirectional : undefined;
        if (!bidi) {
          this.terminal.line(`   ${this.#prefix(r.repository)} ${this.#outcome(r)}`);
          const style = (name: "green" | "yellow" | "red", text: string) => this.terminal.style(name, text);
          if (showsTargets(r)) { for (const l of targetDetailLines(r, style)) this.terminal.line(l); }
          return;
        }
        this.#prefix(r.repository);
        const style = (name: "green" | "yellow" | "red", text: string) => this.terminal.style(name, text);
        for (const l of bidiRepoLines(r, bidi, { dryRun: this.#dryRun, style })) this.terminal.line(l);
      },
    };
  }

  #prefix(name: string): string {
    let i = this.#index.get(name);
    if (i === undefined) {
      i = ++this.#done;
      this.#index.set(name, i);
    }
    return `[${i}/${this.#total}] ${name}...`;
  }

  #outcome(r: RepoSyncResult): string {
    const t = this.terminal;
    const retry = r.retries > 0 ? ` [retry ${r.retries}/${this.#maxRetries}]` : "";
    const time = formatSeconds(r.duration_seconds * 1000);
    if (showsTargets(r) && r.targets.length > 0 && r.status !== "planned") {
      const marks = targetMarks(r, (name, text) => t.style(name, text));
      if (r.up_to_date) return `${marks} (up to date, ${time})${retry}`;
      return `${marks} (${plural(r.commits_synced, "commit")}, ${
        plural(r.branches_synced, "branch")
      }, ${time})${retry}`;
    }
    if (r.status === "failure") return `${t.style("red", "✗")} ${r.error ?? "failed"}${retry}`;
    if (r.status === "planned") return `→ ${planText(r)}`;
    if (r.up_to_date) return `${t.style("green", "✓")} (up to date, ${time})${retry}`;
    const counts = `(${plural(r.commits_synced, "commit")}, ${plural(r.branches_synced, "branch")}, ${time})`;
    if (r.status === "diverged") {
      const names = [...new Set(r.targets.flatMap((x) => x.diverged))].join(", ");
      return `${t.style("yellow", "⚠")} ${counts} diverged, not overwritten: ${names}${retry}`;
    }
    return `${t.style("green", "✓")} ${counts}${retry}`;
  }

  /** The closing block: status line, summary, log path. */
  summary(result: SyncRunResult, logFile: string): void {
    const t = this.terminal;
    t.line();
    if (this.#dryRun) t.line("✅ Dry run complete: nothing was changed");
    else if (result.interrupted) {
      t.line("⏹ Synchronization interrupted: repositories in progress were stopped");
    } else if (result.failed === 0 && result.diverged === 0 && result.not_started.length === 0) {
      t.line("✅ Synchronization complete!");
    } else t.line("⚠ Synchronization finished with problems");
    t.line();
    t.line("Summary:");
    t.line(`  Total repositories: ${formatCount(result.total)}`);
    t.line(`  Successful: ${formatCount(result.successful)}`);
    t.line(`  Failed: ${result.failed}${result.failed ? ` (${result.failed_repositories.join(", ")})` : ""}`);
    for (const l of failedTargetLines(result)) t.line(l);
    if (result.diverged) {
      t.line(
        `  ${this.#bidirectional ? "With conflicts" : "Diverged"}: ${result.diverged} (${
          result.diverged_repositories.join(", ")
        })`,
      );
    }
    if (result.not_started.length) {
      t.line(
        `  Not started: ${result.not_started.length} (${
          result.interrupted ? "interrupted" : "token rejected"
        })`,
      );
    }
    t.line(`  Total commits ${this.#dryRun ? "to sync" : "synced"}: ${formatCount(result.commits_synced)}`);
    t.line(`  Total branches ${this.#dryRun ? "to sync" : "synced"}: ${formatCount(result.branches_synced)}`);
    t.line(`  Total time: ${formatDuration(result.duration_seconds * 1000)}`);
    t.line();
    t.line(`Logs saved to: ${logFile}`);
  }
}

/** `create, push 3 branches, 2 tags (42 commits); diverged: x` or `skip (up to date)`. */
export function planText(r: RepoSyncResult): string {
  if (r.up_to_date) return "skip (up to date)";
  const parts: string[] = [];
  const target = r.targets.find((t) => !t.up_to_date) ?? r.targets[0];
  if (r.targets.some((t) => t.created)) parts.push(`create ${target?.target_url ?? ""}`.trim());
  // Per target, then the most any target gets: every target receives the same refs from the one fetch.
  const pushes = r.targets.map((t) =>
    t.plan.filter((e) => e.action === "create" || e.action === "fast-forward")
  );
  const most = (kind: string) => Math.max(0, ...pushes.map((p) => p.filter((e) => e.kind === kind).length));
  const branches = most("branch");
  const tags = most("tag");
  const deletes = r.targets.flatMap((t) => t.plan).filter((e) => e.action === "delete").length;
  if (branches || tags) {
    parts.push(
      `push ${plural(branches, "branch")}, ${plural(tags, "tag")} (${plural(r.commits_synced, "commit")})`,
    );
  }
  if (deletes) parts.push(`delete ${plural(deletes, "ref")}`);
  for (const x of r.targets.filter((x) => x.archive_planned)) {
    parts.push(`upload ${x.archive_planned} archive to ${x.target}`);
  }
  for (const x of r.targets.filter((x) => x.status === "failure")) {
    parts.push(`${x.target} failed: ${x.error}`);
  }
  const diverged = [...new Set(r.targets.flatMap((t) => t.diverged))];
  if (diverged.length) parts.push(`diverged: ${diverged.join(", ")}`);
  return parts.length ? parts.join("; ") : "skip (nothing to push)";
}

/** The header's target type: `github`, or `github+s3` for several kinds of targets. */
export function targetTypes(settings: SyncSettings): string {
  return [...new Set(settings.targets.map((t) => t.type))].join("+");
}

/** `host/namespace` labels for the header, before any network call. */
export function endpointLabels(settings: SyncSettings): { sources: string[]; targets: string[] } {
  const host = (url: string | undefined, type: string) =>
    new URL(url ?? (type === "gitlab" ? "https://gitlab.com" : "https://github.com")).host;
  return {
    sources: settings.sources.flatMap((s) =>
      [...s.namespaces, ...s.repositories].map((n) => `${host(s.url, s.type)}/${n}`)
    ),
    targets: settings.targets.map((t) =>
      t.type === "s3" ? s3Label(t) : t.type === "git" ? gitLabel(t) : `${host(t.url, t.type)}/${t.namespace}`
    ),
  };
}
