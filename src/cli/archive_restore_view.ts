import type { RestoreArchiveResult, RestoreEvent } from "../archive/restore.ts";
import { printVerifyChecks } from "./archive_verify.ts";
import { renderDependencyProgress } from "./deps_view.ts";
import { formatCount, formatDuration, formatSeconds, type Terminal } from "./terminal.ts";

/** The header block of `archive restore`. */
export function printRestoreHeader(
  t: Terminal,
  info: { sessionId: string; target?: string; output: string },
): void {
  t.line("📦 Starting Air-Gap Archive Restoration");
  t.line(`   Session ID: ${info.sessionId}`);
  t.line(`   Target: ${info.target ?? "(none: restore only)"}`);
  t.line(`   Output: ${info.output}`);
}

/** Renders the "Step i/5" lines of `archive restore` from its events. */
export function restoreEventRenderer(t: Terminal): (e: RestoreEvent) => void {
  const ok = t.style("green", "✓");
  return (e) => {
    switch (e.kind) {
      case "archive:start":
        t.line();
        t.line("📄 Step 1/5: Using local archive...");
        return t.line(`   Archive: ${e.archive}`);
      case "chain:checked":
        t.line(
          `   ${ok} Chain checked: ${e.names.length} archive${e.names.length === 1 ? "" : "s"} in order`,
        );
        e.names.forEach((name, i) => t.line(`      ${e.positions[i]}: ${name}`));
        return e.into ? t.line(`      Applied onto: ${e.into}`) : undefined;
      case "verify:start":
        t.line();
        return t.line(`${ok} Step 2/5: Verifying archive integrity...`);
      case "verify:done":
        return printVerifyChecks(t, e.report);
      case "restore:start":
        t.line();
        return t.line("📥 Step 3/5: Restoring repository from archive...");
      case "restore:done":
        t.line(`   ${ok} Repository restored`);
        t.line(`      Location: ${e.dir}`);
        t.line(
          `      Branches: ${formatCount(e.branches)}, tags: ${formatCount(e.tags)}, LFS objects: ${
            formatCount(e.lfsObjects)
          }`,
        );
        return t.line(`      Duration: ${formatSeconds(e.ms)}`);
      case "deps:start":
        t.line();
        return t.line("🔧 Step 4/5: Installing dependencies...");
      case "deps:skipped":
        t.line();
        t.line("🔧 Step 4/5: Installing dependencies...");
        return t.line(`   Skipped (${e.reason})`);
      case "deps:progress":
        return renderDependencyProgress(t, e.event, 0);
      case "deps:done":
        if (e.results.length === 0) return t.line(`   Skipped: the archive carries no dependencies`);
        if (e.results.some((r) => r.status !== "included")) {
          const missing = e.results.filter((r) => r.status !== "included").map((r) => r.label).join(", ");
          return t.line(
            `   ${t.style("yellow", "⚠")} Dependencies not installed for: ${missing} (${
              formatSeconds(e.ms)
            })`,
          );
        }
        return t.line(`   ${ok} Dependencies installed (${formatSeconds(e.ms)})`);
      case "push:start":
        t.line();
        return t.line("🚀 Step 5/5: Pushing to target repository...");
      case "push:skipped":
        t.line();
        t.line("🚀 Step 5/5: Pushing to target repository...");
        return t.line(`   Skipped (${e.reason})`);
      case "push:done":
        t.line(`   ${ok} Pushed to target`);
        t.line(`      URL: ${e.target}`);
        t.line(
          `      Refs: ${formatCount(e.refs)} (${formatCount(e.updated)} updated), LFS objects: ${
            formatCount(e.lfsObjects)
          }`,
        );
        if (e.forced.length) {
          t.line(`      Moved with lease (tags or rewritten branches): ${e.forced.join(", ")}`);
        }
        if (e.keptDeleted.length) {
          t.line(
            `      ${t.style("yellow", "⚠")} Deleted at the source but kept on the target (use --prune): ${
              e.keptDeleted.join(", ")
            }`,
          );
        }
        return t.line(`      Duration: ${formatSeconds(e.ms)}`);
    }
  };
}

/** The closing blocks of `archive restore`: Summary, Timing, Files. */
export function printRestoreSummary(t: Terminal, r: RestoreArchiveResult, logFile: string): void {
  t.line();
  t.line("✅ Archive restoration complete!");
  t.line();
  t.line("Summary:");
  t.line(`  Repository: ${r.repository}`);
  if (r.chain) {
    t.line(`  Archives applied: ${r.chain.length} (${r.manifest.type} state ${r.manifest.archive_id})`);
  }
  if (r.manifest.deleted_refs.length) {
    t.line(`  Refs deleted by the last archive: ${r.manifest.deleted_refs.join(", ")}`);
  }
  if (r.manifest.shallow) {
    t.line(
      `  Shallow: last ${r.manifest.shallow.depth} commits only; servers that require full history refuse it`,
    );
  }
  t.line(`  Target: ${r.pushed?.target ?? "(not pushed)"}`);
  t.line();
  t.line("Timing:");
  t.line(`  Verify: ${formatSeconds(r.timings.verify)}`);
  t.line(`  Restore: ${formatSeconds(r.timings.restore)}`);
  t.line(`  Dependencies: ${formatSeconds(r.timings.dependencies)}`);
  t.line(`  Push: ${formatSeconds(r.timings.push)}`);
  t.line(`  Total: ${formatDuration(r.timings.total)}`);
  t.line();
  t.line("Files:");
  t.line(`  Repository: ${r.repository}`);
  t.line(`  Logs: ${logFile}`);
}
