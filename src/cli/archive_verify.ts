import type { Command } from "commander";
import { tmpdir } from "node:os";
import { basename } from "node:path";
import {
  type ArchiveSignatureCheck,
  checkArchiveSignature,
  checkSignedManifest,
  describeSignature,
} from "../archive/archive_signature.ts";
import { verifyArchive, type VerifyReport } from "../archive/verify.ts";
import { verifyChain } from "../archive/verify_chain.ts";
import { volumeIndexPathFor } from "../archive/volumes.ts";
import { UsageError, VerificationError } from "../errors.ts";
import { globalsOf } from "./program.ts";
import { type CommandContext, openContext } from "./context.ts";
import { addTrustedKeyOptions, signatureCheckOptions, type TrustedKeyFlags } from "./signature_options.ts";
import { formatBytes, formatSeconds, type Terminal } from "./terminal.ts";
import { fetchRemoteArchives } from "./remote_archives.ts";

/**
 * Prints the spec's check list for a valid archive, indented under a step heading:
 * `✓ Archive is valid`, `Manifest: ✓`, `Git bundle: ✓`, `LFS objects: ✓ (N files)`, dependencies,
 * restore scripts, duration. Shared with `archive restore` (its step 2) and `archive create` (step 5).
 * With `report.signature`, a `Signature: ✓ (key <id>, seq <n>)` line (or why it was not checked) comes first;
 * none for an unsigned archive when no trusted key is configured (signing not in use).
 */
export function printVerifyChecks(
  terminal: Terminal,
  report: VerifyReport & { signature?: ArchiveSignatureCheck },
): void {
  const ok = terminal.style("green", "✓");
  const c = report.checks;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  terminal.line(`   ${ok} Archive is valid`);
  if (report.signature && (report.signature.status !== "unsigned" || report.signature.note)) {
    const verified = report.signature.status === "verified";
    const mark = verified ? ok : terminal.style("yellow", "⚠");
    terminal.line(`      Signature: ${mark} ${describeSignature(report.signature)}`);
  }
  terminal.line(`      Manifest: ${ok}`);
  terminal.line(`      Git bundle: ${ok}${c.bundle.empty ? " (empty)" : ""}`);
  terminal.line(`      LFS objects: ${ok} (${plural(c.lfs.files, "file")})`);
  const statuses = Object.entries(c.dependencies.ecosystems);
  if (c.dependencies.files > 0) {
    terminal.line(`      Dependencies: ${ok} (${plural(c.dependencies.files, "file")})`);
  } else {
    const shown = statuses.length ? statuses.map(([k, v]) => `${k} ${v}`).join(", ") : "none";
    terminal.line(`      Dependencies: ${shown}`);
  }
  terminal.line(`      Restore scripts: ${ok} (${plural(c.restore_scripts.files, "file")})`);
  terminal.line(`      Duration: ${formatSeconds(report.duration_ms)}`);
}

/** Prints the failure lines of the check list (the error itself is printed by main.ts). */
export function printVerifyFailure(terminal: Terminal, error: VerificationError, durationMs: number): void {
  terminal.line(`   ${terminal.style("red", "✗")} Archive is NOT valid`);
  if (error.entry) terminal.line(`      First bad entry: ${JSON.stringify(error.entry)}`);
  terminal.line(`      Duration: ${formatSeconds(durationMs)}`);
}

/**
 * Registers `archive verify [ARCHIVE]` (default $ARCHIVE_PATH). The signature (`<archive>.minisig`) is
 * checked first, on the raw bytes, under the `verify.signature` policy. Exit 3 when the archive is bad.
 */
export function registerArchiveVerify(archive: Command): void {
  const verify = archive
    .command("verify")
    .description(
      "check an archive in one streaming pass: signature, manifest, sizes, sha256, bundle, LFS (no git needed)",
    )
    .argument(
      "[archives...]",
      "archive file, or a chain in order: FULL INC1 INC2… (a split archive: its index or first volume; default: $ARCHIVE_PATH)",
    );
  addTrustedKeyOptions(verify)
    .action(async (files: string[], flags: TrustedKeyFlags, cmd: Command) => {
      const ctx = openContext("verify", globalsOf(cmd));
      const given = files.length > 0 ? files : ctx.env.ARCHIVE_PATH ? [ctx.env.ARCHIVE_PATH] : [];
      if (given.length === 0) {
        throw new UsageError("Cannot verify archive: no archive given. Pass ARCHIVE or set ARCHIVE_PATH");
      }
      // A split archive is named by its index (where its signature sits), whichever file was given.
      const wanted = given.map((f) => volumeIndexPathFor(f) ?? f);
      const fetched = await fetchRemoteArchives(wanted, {
        env: ctx.env,
        under: tmpdir(),
        terminal: ctx.terminal,
      });
      try {
        if (wanted.length > 1) return await verifyChainCommand(ctx, fetched.paths, flags);
        await verifyOneCommand(ctx, fetched.paths[0], { ...flags, shownAs: wanted[0] });
      } finally {
        fetched.cleanup();
      }
    });
}

/** `archive verify ARCHIVE` for one archive (a local copy when it came from S3: `shownAs` is its URL). */
async function verifyOneCommand(
  ctx: CommandContext,
  path: string,
  flags: TrustedKeyFlags & { shownAs: string },
): Promise<void> {
  const log = ctx.logger.child("archive_verify");
  const t = ctx.terminal;
  const started = performance.now();
  t.line(`🔍 Verifying archive ${basename(path)}`);
  try {
    const signature = await checkArchiveSignature(path, signatureCheckOptions(ctx, flags));
    if (signature.status === "verified") {
      log.info("Archive signature verified", {
        archive: path,
        key_id: signature.key_id,
        seq: signature.seq,
      });
    }
    const verified = await verifyArchive(path, { logger: log });
    checkSignedManifest(signature, { archive_id: verified.archive_id }, path);
    const report = { ...verified, archive: flags.shownAs, signature };
    printVerifyChecks(t, report);
    t.line(
      `      Size: ${formatBytes(report.archive_bytes)} (${formatBytes(report.content_bytes)} unpacked)`,
    );
    t.result(report);
  } catch (error) {
    if (error instanceof VerificationError) {
      printVerifyFailure(t, error, performance.now() - started);
      t.result({
        valid: false,
        archive: flags.shownAs,
        error: error.message,
        entry: error.entry,
        exit_code: error.exitCode,
      });
    }
    throw error;
  }
}

/** `archive verify FULL INC1 INC2…`: the chain's order from the manifests, then every archive. */
async function verifyChainCommand(
  ctx: CommandContext,
  paths: string[],
  flags: TrustedKeyFlags,
): Promise<void> {
  const log = ctx.logger.child("archive_verify");
  const t = ctx.terminal;
  const started = performance.now();
  t.line(`🔍 Verifying a chain of ${paths.length} archives`);
  const signatures: ArchiveSignatureCheck[] = [];
  try {
    const chain = await verifyChain(paths, {
      logger: log,
      beforeArchive: async (path) => {
        t.line(`   ${basename(path)}`);
        signatures.push(await checkArchiveSignature(path, signatureCheckOptions(ctx, flags)));
      },
      onArchive: (report, i) => {
        checkSignedManifest(signatures[i], { archive_id: report.archive_id }, paths[i]);
        printVerifyChecks(t, { ...report, signature: signatures[i] });
      },
    });
    const ok = t.style("green", "✓");
    t.line(
      `   ${ok} Chain is valid${
        chain.complete ? "" : " (it starts with an incremental: its base was not given)"
      }`,
    );
    chain.positions.forEach((p, i) => t.line(`      ${p}: ${basename(paths[i])}`));
    log.info("Archive chain is valid", { archives: paths, status: "success" });
    t.result({ ...chain, archives: chain.archives.map((r, i) => ({ ...r, signature: signatures[i] })) });
  } catch (error) {
    if (error instanceof VerificationError) {
      printVerifyFailure(t, error, performance.now() - started);
      t.result({
        valid: false,
        archives: paths,
        error: error.message,
        entry: error.entry,
        exit_code: error.exitCode,
      });
    }
    throw error;
  }
}
