import type { Command } from "commander";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createArchive } from "../archive/create.ts";
import { restoreArchive } from "../archive/restore.ts";
import { verifyArchive } from "../archive/verify.ts";
import { buildSampleRepository } from "../demo/sample_repo.ts";
import { ArchiveError } from "../errors.ts";
import { git } from "../git/git.ts";
import { lfsAvailable } from "../git/lfs.ts";
import { diffRefs, listRefs } from "../git/refs.ts";
import { createEventRenderer, printCreateHeader, printCreateSummary } from "./archive_create_view.ts";
import { printRestoreHeader, printRestoreSummary, restoreEventRenderer } from "./archive_restore_view.ts";
import { printVerifyChecks } from "./archive_verify.ts";
import { openContext } from "./context.ts";
import { globalsOf } from "./program.ts";

/**
 * Registers `demo`: the whole air-gap round trip on a sample repository built on the spot, with a
 * local bare repository as the "internal server" — create → carry → verify → restore → push — offline,
 * then proves the internal server holds the same refs and LFS content as the source.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("run create → verify → restore → push on a sample repository, fully offline")
    .option("--dir <path>", "work directory (default: a new directory under the system temp dir)")
    .action(async (flags: { dir?: string }, cmd: Command) => {
      const ctx = openContext("demo", globalsOf(cmd));
      const t = ctx.terminal;
      const ok = t.style("green", "✓");
      const work = flags.dir ? resolve(flags.dir) : mkdtempSync(join(tmpdir(), "repo-cloner-demo-"));
      if (existsSync(join(work, "online")) || existsSync(join(work, "airgap"))) {
        throw new ArchiveError(
          `Cannot run the demo in "${work}": it holds an earlier demo. Choose an empty --dir`,
        );
      }
      const gitLog = ctx.logger.child("demo");
      t.line("🎬 repo-cloner demo: the air-gap round trip, fully offline");
      t.line(`   Session ID: ${ctx.sessionId}`);
      t.line(`   Work directory: ${work}`);
      t.line();
      t.line('🧪 Preparing a sample repository and a local "internal server"...');
      const withLfs = await lfsAvailable({ logger: gitLog });
      const sample = await buildSampleRepository(join(work, "online", "sample-app"), {
        lfs: withLfs,
        logger: gitLog,
      });
      const server = join(work, "airgap", "internal-server", "sample-app.git");
      mkdirSync(server, { recursive: true });
      await git(["init", "--quiet", "--bare", server], { logger: gitLog });
      t.line(`   ${ok} Sample repository: ${sample.dir}`);
      t.line(`      Branches: ${sample.branches.join(", ")}; tags: ${sample.tags.join(", ")}`);
      t.line(`      LFS file: ${sample.lfsFile ? sample.lfsFile.path : "none (git-lfs is not installed)"}`);
      t.line(`   ${ok} Internal server (bare repository): ${server}`);

      t.line();
      t.line("════ Online side ════");
      const archives = join(work, "online", "archives");
      printCreateHeader(t, { sessionId: ctx.sessionId, source: sample.dir, type: "full", output: archives });
      const created = await createArchive(sample.dir, archives, {
        logger: ctx.logger,
        onEvent: createEventRenderer(t),
      });
      printCreateSummary(t, created, ctx.logFile);

      t.line();
      t.line("════ Across the air gap ════");
      const imported = join(work, "airgap", "imported", created.name);
      mkdirSync(join(work, "airgap", "imported"), { recursive: true });
      await copyFile(created.path, imported);
      t.line(`📦 Carried ${created.name} to ${imported}`);
      t.line();
      t.line("🔍 Verifying the carried archive (one streaming pass, no git needed)...");
      printVerifyChecks(t, await verifyArchive(imported, { logger: ctx.logger.child("archive_verify") }));

      t.line();
      t.line("════ Air-gapped side ════");
      const restoredDir = join(work, "airgap", "restored");
      printRestoreHeader(t, { sessionId: ctx.sessionId, target: server, output: restoredDir });
      const restored = await restoreArchive(imported, {
        outputDir: restoredDir,
        target: server,
        logger: ctx.logger,
        onEvent: restoreEventRenderer(t),
      });
      printRestoreSummary(t, restored, ctx.logFile);

      t.line();
      t.line("🔎 Proof: the internal server matches the source");
      const source = await listRefs(sample.dir, { logger: gitLog });
      const pushed = await listRefs(server, { logger: gitLog });
      const diff = diffRefs(source, pushed);
      const differing = [...diff.onlyA, ...diff.onlyB, ...diff.changed];
      if (differing.length > 0) {
        throw new ArchiveError(
          `Cannot confirm the demo: ref "${differing[0]}" differs between source and server`,
        );
      }
      t.line(`   ${ok} Branches and tags identical (${Object.keys(source).length} refs)`);
      if (sample.lfsFile) {
        const oid = sample.lfsFile.sha256;
        const onServer = join(server, "lfs", "objects", oid.slice(0, 2), oid.slice(2, 4), oid);
        const checkedOut = join(restored.repository, ...sample.lfsFile.path.split("/"));
        for (const file of [onServer, checkedOut]) {
          if (!existsSync(file) || await sha256Of(file) !== oid) {
            throw new ArchiveError(
              `Cannot confirm the demo: LFS content at "${file}" differs from the source`,
            );
          }
        }
        t.line(`   ${ok} LFS content byte-identical (${sample.lfsFile.path}, sha256 ${oid.slice(0, 12)}…)`);
      }
      t.line();
      t.line("✅ Demo complete: created, carried, verified, restored and pushed without any network.");
      t.line(`   Everything is in ${work} (remove it when done).`);
      t.result({
        status: "success",
        session_id: ctx.sessionId,
        work_dir: work,
        archive: created.path,
        restored: restored.repository,
        server,
        refs: Object.keys(source).length,
        lfs: Boolean(sample.lfsFile),
        log_file: ctx.logFile,
      });
    });
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest("hex");
}
