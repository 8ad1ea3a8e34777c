import { basename } from "node:path";
import type { CreateArchiveResult, CreateEvent } from "../archive/create.ts";
import { printVerifyChecks } from "./archive_verify.ts";
import { renderDependencyProgress } from "./deps_view.ts";
import { formatBytes, formatCount, formatDuration, formatSeconds, type Terminal } from "./terminal.ts";

/** The header block of `archive create`. */
export function printCreateHeader(
  t: Terminal,
  info: {
    sessionId: string;
    source: string;
    type: string;
    output: string;
    base?: string;
    depth?: number;
    maxSize?: number;
    splitSize?: number;
  },
): void {
  t.line("📦 Starting Air-Gap Archive Creation");
  t.line(`   Session ID: ${info.sessionId}`);
  t.line(`   Source: ${info.source}`);
  t.line(`   Archive type: ${info.type}`);
  if (info.base) t.line(`   Base archive: ${info.base}`);
  if (info.depth) t.line(`   Shallow: last ${formatCount(info.depth)} commits of each branch and tag`);
  if (info.maxSize) t.line(`   Size limit: ${formatBytes(info.maxSize)}`);
  if (info.splitSize) t.line(`   Split into volumes under ${formatBytes(info.splitSize)}`);
  t.line(`   Output: ${info.output}`);
}

/** Renders the "Step i/5" lines of `archive create` from its events. */
export function createEventRenderer(t: Terminal): (e: CreateEvent) => void {
  const ok = t.style("green", "✓");
  const plural = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;
  return (e) => {
    switch (e.kind) {
      case "clone:start":
        t.line();
        return t.line("📥 Step 1/5: Cloning repository...");
      case "clone:done":
        t.line(
          `   ${ok} Cloned successfully (${plural(e.branches, "branch", "branches")}, ${
            formatSeconds(e.ms)
          })`,
        );
        t.line(`      Tags: ${formatCount(e.tags)}`);
        if (e.lfsObjects > 0) {
          t.line(`      LFS objects: ${formatCount(e.lfsObjects)} (${formatBytes(e.lfsBytes)})`);
        }
        return;
      case "deps:start":
        t.line();
        return t.line("🔍 Step 2/5: Detecting and fetching dependencies...");
      case "deps:skipped":
        t.line();
        t.line("🔍 Step 2/5: Detecting and fetching dependencies...");
        return t.line(`   Skipped (${e.reason})`);
      case "deps:progress":
        return renderDependencyProgress(t, e.event, 3);
      case "deps:done": {
        if (e.results.length === 0) {
          return t.line(`   Skipped: no Python or Node.js dependency files found (${formatSeconds(e.ms)})`);
        }
        return t.line(
          `   ${ok} Fetched ${plural(e.packages, "dependency", "dependencies")} (${formatSeconds(e.ms)})`,
        );
      }
      case "archive:start":
        t.line();
        return t.line(`📦 Step 3/5: Creating ${e.type} archive...`);
      case "archive:done":
        t.line(`   ${ok} Archive created: ${e.name}`);
        t.line(
          `      Size: ${formatBytes(e.size)}${
            e.volumes ? ` in ${plural(e.volumes, "volume", "volumes")}` : ""
          }`,
        );
        return t.line(`      Duration: ${formatSeconds(e.ms)}`);
      case "sign:done":
        return t.line(
          `   ${ok} Signed: ${basename(e.signaturePath)} (key ${e.keyId}, sequence ${e.seq})`,
        );
      case "upload:start":
        t.line();
        return t.line(`☁️  Step 4/5: Uploading to ${e.storage} storage...`);
      case "upload:skipped":
        t.line();
        t.line("☁️  Step 4/5: Uploading to storage...");
        return t.line(`   Skipped (${e.reason})`);
      case "upload:done":
        t.line(`   ${ok} Uploaded to: ${e.url}`);
        return t.line(`      Duration: ${formatSeconds(e.ms)}`);
      case "verify:start":
        t.line();
        return t.line(`${ok} Step 5/5: Verifying archive integrity...`);
      case "verify:skipped":
        t.line();
        t.line(`${ok} Step 5/5: Verifying archive integrity...`);
        return t.line(`   Skipped (${e.reason})`);
      case "verify:done":
        return printVerifyChecks(t, e.report);
    }
  };
}

/** The closing blocks of `archive create`: Summary, Timing, Files. */
export function printCreateSummary(t: Terminal, r: CreateArchiveResult, logFile: string): void {
  const packages = r.dependencies.reduce((n, d) => n + (d.status === "included" ? d.packages : 0), 0);
  t.line();
  t.line("✅ Archive creation complete!");
  t.line();
  t.line("Summary:");
  t.line(`  Archive: ${r.name}`);
  t.line(`  Type: ${r.manifest.type}`);
  if (r.manifest.base) {
    t.line(`  Base: ${r.manifest.base.archive_id}`);
    t.line(
      `  Changes: ${
        r.manifest.bundle.empty ? "none (empty bundle)" : `${formatBytes(r.manifest.bundle.size)} bundle`
      }, ${formatCount(r.manifest.deleted_refs.length)} deleted refs, ${
        formatCount(r.manifest.lfs.inherited.length)
      } LFS objects inherited`,
    );
  }
  if (r.manifest.shallow) t.line(`  Shallow: depth ${r.manifest.shallow.depth}`);
  t.line(`  Size: ${formatBytes(r.size)}`);
  for (const v of r.volumes ?? []) t.line(`    ${basename(v.path)}: ${formatBytes(v.size)}`);
  t.line(`  Branches: ${Object.keys(r.manifest.refs).filter((k) => k.startsWith("refs/heads/")).length}`);
  t.line(`  LFS objects: ${formatCount(r.manifest.lfs.objects.length)}`);
  t.line(`  Dependencies: ${formatCount(packages)} packages`);
  t.line();
  t.line("Timing:");
  t.line(`  Clone: ${formatSeconds(r.timings.clone)}`);
  t.line(`  Dependencies: ${formatSeconds(r.timings.dependencies)}`);
  t.line(`  Archive: ${formatSeconds(r.timings.archive)}`);
  t.line(`  Upload: ${formatSeconds(r.timings.upload)}`);
  t.line(`  Verify: ${formatSeconds(r.timings.verify)}`);
  t.line(`  Total: ${formatDuration(r.timings.total)}`);
  t.line();
  t.line("Files:");
  t.line(`  Archive: ${r.stored?.url ?? r.path}`);
  if (r.signature) t.line(`  Signature: ${r.storedSignature?.url ?? r.signature.signaturePath}`);
  if (r.stored) t.line(`  Local copy: ${r.path}`);
  if (r.report) t.line(`  Review report: ${r.report}`);
  t.line(`  Logs: ${logFile}`);
}
