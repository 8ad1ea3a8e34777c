import { type Command, Option } from "commander";
import { writeFileAtomic } from "../fs/atomic_write.ts";
import { type ArchiveReport, readArchiveReport } from "../report/read_archive.ts";
import { renderReportHtml } from "../report/render_html.ts";
import { SBOM_PATH } from "../report/review_schema.ts";
import { buildSbom } from "../report/sbom.ts";
import { VERSION } from "../version.ts";
import { redactor } from "../log/redact.ts";
import { chainPositions, checkChain } from "../archive/chain.ts";
import { inspectArchive, type InspectResult } from "../archive/inspect.ts";
import { UsageError } from "../errors.ts";
import { globalsOf } from "./program.ts";
import { type CommandContext, openContext } from "./context.ts";
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
  if (m.shallow?.commits.length) {
    t.line(`   Shallow boundary: ${formatCount(m.shallow.commits.length)} commits`);
  }
  t.line(
    `   Bundle: ${m.bundle.empty ? "empty (no commits to carry)" : formatBytes(s.bundle_bytes)}` +
      (m.bundle.prerequisites.length ? `, ${formatCount(m.bundle.prerequisites.length)} prerequisites` : ""),
  );
  t.line(`   LFS objects: ${formatCount(s.lfs_objects)} (${formatBytes(s.lfs_bytes)})`);
  if (m.lfs.inherited.length) {
    t.line(`   LFS objects inherited from earlier archives: ${formatCount(m.lfs.inherited.length)}`);
  }
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

/** Flags of `archive inspect`. */
interface InspectFlags {
  report?: string;
  sbom?: boolean;
  output?: string;
  trustedKey?: string;
}

/**
 * Registers `archive inspect [ARCHIVE]` (default $ARCHIVE_PATH): the manifest summary, `--json` the
 * manifest; `--report html|json` the transfer review report and `--sbom` the CycloneDX SBOM, both
 * rebuilt from the archive alone after verifying every entry (stdout, or `--output FILE`).
 */
export function registerArchiveInspect(archive: Command): void {
  archive
    .command("inspect")
    .description("show an archive's manifest: id, type, source, refs, LFS, dependencies, files")
    .argument("[archives...]", "archive file, or several to show their chain order (default: $ARCHIVE_PATH)")
    .addOption(
      new Option("--report <format>", "print the transfer review report (verifies the archive first)")
        .choices([
          "html",
          "json",
        ]),
    )
    .option("--sbom", "print the archive's CycloneDX SBOM (sbom.cdx.json; verifies the archive first)")
    .option("-o, --output <file>", "write the report or SBOM to FILE instead of stdout")
    .option("--trusted-key <pub>", "minisign public key: the archive's .minisig must verify with it")
    .action(async (files: string[], flags: InspectFlags, cmd: Command) => {
      const ctx = openContext("inspect", globalsOf(cmd));
      const path = files[0] ?? ctx.env.ARCHIVE_PATH;
      if (!path) {
        throw new UsageError("Cannot inspect archive: no archive given. Pass ARCHIVE or set ARCHIVE_PATH");
      }
      if (files.length > 1) {
        if (flags.report || flags.sbom) {
          throw new UsageError(
            "Cannot print a report or SBOM of several archives: inspect them one at a time",
          );
        }
        return await inspectChain(ctx, files);
      }
      if (flags.report && flags.sbom) {
        throw new UsageError(
          "Cannot inspect archive: --report and --sbom print different documents. Pick one",
        );
      }
      if (flags.output && !flags.report && !flags.sbom) {
        throw new UsageError("Cannot use --output without --report or --sbom");
      }
      if (ctx.terminal.json && flags.report === "html" && !flags.output) {
        throw new UsageError(
          "Cannot print an HTML report with --json: use --report json, or --output FILE for the HTML",
        );
      }
      const log = ctx.logger.child("archive_inspect");
      if (flags.report || flags.sbom) {
        const trustedKeyPath = flags.trustedKey ?? ctx.config.verify?.trusted_key;
        const read = await readArchiveReport(path, { trustedKeyPath });
        const text = flags.sbom
          ? sbomText(read, ctx.terminal)
          : flags.report === "html"
          ? renderReportHtml(read.model)
          : JSON.stringify(read.model, null, 2) + "\n";
        if (flags.output) writeFileAtomic(flags.output, text);
        else process.stdout.write(redactor.redact(text));
        log.info(flags.sbom ? "SBOM printed" : "Review report printed", {
          archive: path,
          archive_id: read.model.manifest.archive_id,
          format: flags.sbom ? "cyclonedx-json" : flags.report,
          output: flags.output ?? "stdout",
          warnings: read.model.warnings.map((w) => w.kind),
          status: "success",
        });
        if (flags.output) {
          ctx.terminal.line(`📄 ${flags.sbom ? "SBOM" : "Review report"} written: ${flags.output}`);
          ctx.terminal.result({
            status: "success",
            archive: path,
            output: flags.output,
            format: flags.sbom ? "cyclonedx-json" : flags.report,
            sha256: read.model.archive.sha256,
            signature: read.model.signature.status,
            warnings: read.model.warnings,
          });
        }
        return;
      }
      const result = await inspectArchive(path);
      log.info("Archive inspected", {
        archive: path,
        archive_id: result.manifest.archive_id,
        status: "success",
      });
      if (ctx.terminal.json) ctx.terminal.result(result);
      else printInspect(ctx.terminal, result);
    });
}

/** The carried SBOM, or (archives made before it existed) one rebuilt from the dependency manifests. */
function sbomText(read: ArchiveReport, t: Terminal): string {
  if (read.sbomText !== null) return read.sbomText;
  const m = read.scan.manifest;
  t.error(
    `⚠ ${SBOM_PATH} is not in this archive (made by an older repo-cloner): rebuilt from its dependency manifests`,
  );
  const sbom = buildSbom(
    {
      name: m.repository.name,
      url: m.source.url,
      head: m.source.head,
      defaultBranch: m.source.default_branch,
    },
    read.packages,
    { createdAt: new Date(m.created_at), toolVersion: VERSION },
  );
  return JSON.stringify(sbom, null, 2) + "\n";
}

/** `archive inspect A B C…`: each manifest, then where each sits in the chain (exit 3 when broken). */
async function inspectChain(ctx: CommandContext, files: string[]): Promise<void> {
  const results: InspectResult[] = [];
  for (const f of files) results.push(await inspectArchive(f));
  const links = results.map((r) => ({
    name: r.archive,
    manifest: r.manifest,
    manifestSha256: r.manifest_sha256,
  }));
  if (!ctx.terminal.json) {
    for (const r of results) {
      printInspect(ctx.terminal, r);
      ctx.terminal.line();
    }
  }
  checkChain(links, { startsWithFull: false, action: "inspect" });
  const positions = chainPositions(links);
  ctx.logger.child("archive_inspect").info("Archive chain inspected", {
    archives: files,
    archive_ids: links.map((l) => l.manifest.archive_id),
    status: "success",
  });
  if (ctx.terminal.json) return ctx.terminal.result({ chain: positions, archives: results });
  ctx.terminal.line(`🔗 Chain order (from the manifests; "archive verify" checks every entry):`);
  positions.forEach((p, i) => ctx.terminal.line(`   ${p}: ${results[i].archive}`));
}
