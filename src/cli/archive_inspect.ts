import type { Command } from "commander";
import { inspectArchive, type InspectResult } from "../archive/inspect.ts";
import { UsageError } from "../errors.ts";
import { globalsOf } from "./program.ts";
import { openContext } from "./context.ts";
import { formatBytes, formatCount, type Terminal } from "./terminal.ts";

/** Refs listed in the human view; `--json` gives them all. */
const MAX_REFS_SHOWN = 50;

/** Prints the manifest summary of `archive inspect`. */
export function printInspect(t: Terminal, r: InspectResult): void {
  const m = r.manifest;
  const s = r.summary;
  t.line(`📦 Archive ${r.archive}`);
  t.line(`   ID: ${m.archive_id}`);
  t.line(
    `   Type: ${m.type}${m.base ? ` (base ${m.base.archive_id})` : ""}${
      m.shallow ? `, shallow depth ${m.shallow.depth}` : ""
    }`,
  );
  t.line(`   Created: ${m.created_at} by ${m.tool.name} ${m.tool.version}`);
  t.line(`   Repository: ${m.repository.name}`);
  t.line(`   Source: ${m.source.url}`);
  t.line(`   Default branch: ${m.source.default_branch ?? "(none)"}`);
  if (m.source.head) t.line(`   HEAD: ${m.source.head}`);
  t.line(
    `   Refs: ${formatCount(s.branches)} branches, ${formatCount(s.tags)} tags` +
      (s.other_refs ? `, ${formatCount(s.other_refs)} other` : ""),
  );
  const refs = Object.entries(m.refs);
  for (const [name, oid] of refs.slice(0, MAX_REFS_SHOWN)) t.line(`      ${oid.slice(0, 12)}  ${name}`);
  if (refs.length > MAX_REFS_SHOWN) {
    t.line(`      … ${formatCount(refs.length - MAX_REFS_SHOWN)} more (see --json)`);
  }
  if (m.deleted_refs.length) t.line(`   Deleted refs: ${formatCount(m.deleted_refs.length)}`);
  t.line(
    `   Bundle: ${m.bundle.empty ? "empty (no commits to carry)" : formatBytes(s.bundle_bytes)}` +
      (m.bundle.prerequisites.length ? `, ${formatCount(m.bundle.prerequisites.length)} prerequisites` : ""),
  );
  t.line(`   LFS objects: ${formatCount(s.lfs_objects)} (${formatBytes(s.lfs_bytes)})`);
  const deps = Object.entries(m.dependencies);
  if (deps.length === 0) t.line("   Dependencies: none recorded");
  else {
    t.line("   Dependencies:");
    for (const [name, d] of deps) {
      const detail = d.status === "included"
        ? ` (${formatCount(d.packages)} package${d.packages === 1 ? "" : "s"})`
        : d.reason
        ? ` (${d.reason})`
        : "";
      t.line(`      ${name}: ${d.status}${detail}`);
    }
  }
  t.line(
    `   Files: ${formatCount(s.files)} entries, ${formatBytes(s.content_bytes)} unpacked; archive ${
      formatBytes(r.archive_bytes)
    }`,
  );
  t.line(`   Not verified: run "repo-cloner archive verify ${r.archive}" to check every entry`);
}

/** Registers `archive inspect [ARCHIVE]` (default $ARCHIVE_PATH): the manifest summary, `--json` the manifest. */
export function registerArchiveInspect(archive: Command): void {
  archive
    .command("inspect")
    .description("show an archive's manifest: id, type, source, refs, LFS, dependencies, files")
    .argument("[archive]", "archive file (default: $ARCHIVE_PATH)")
    .action(async (file: string | undefined, _options: unknown, cmd: Command) => {
      const ctx = openContext("inspect", globalsOf(cmd));
      const path = file ?? ctx.env.ARCHIVE_PATH;
      if (!path) {
        throw new UsageError("Cannot inspect archive: no archive given. Pass ARCHIVE or set ARCHIVE_PATH");
      }
      const result = await inspectArchive(path);
      ctx.logger.child("archive_inspect").info("Archive inspected", {
        archive: path,
        archive_id: result.manifest.archive_id,
        status: "success",
      });
      if (ctx.terminal.json) ctx.terminal.result(result);
      else printInspect(ctx.terminal, result);
    });
}
