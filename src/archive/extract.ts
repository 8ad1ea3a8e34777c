import { constants } from "node:fs";
import { type FileHandle, mkdir, mkdtemp, open, rm } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { type ModuleLogger, nullLogger } from "../log/logger.ts";
import type { Manifest } from "./manifest.ts";
import { entryPathProblem } from "./entry_path.ts";
import { type EntrySink, type EntryWriter, scanArchive, type ScanOptions } from "./scan.ts";
import { archiveError, buildReport, type VerifyReport } from "./verify.ts";

/** Options of {@link extractVerified}. */
export interface ExtractOptions {
  logger?: ModuleLogger;
  onEntry?: ScanOptions["onEntry"];
  /** Verb for error messages: `Cannot <action> archive ...`. Default "verify". */
  action?: string;
  /** Staging directory name prefix. Default ".repo-cloner-staging-". */
  prefix?: string;
  /** Clock in ms, for tests. Default `performance.now`. */
  now?: () => number;
}

/** A verified, extracted archive. */
export interface ExtractResult {
  /** Fresh directory holding exactly the archive's entries (manifest.json included). */
  stagingDir: string;
  manifest: Manifest;
  report: VerifyReport;
}

/**
 * Verifies and extracts an archive in the same single pass as `verifyArchive`, into a fresh staging
 * directory created inside `stagingParent` (created if missing). Each entry is written with exclusive
 * create (`O_EXCL|O_NOFOLLOW`) after its path was validated, and hashed while written. The staging
 * directory is returned only when the whole archive verified; on any failure it is removed and the
 * same {@link VerificationError} (exit 3) as `verifyArchive` is thrown. Nothing is written outside it.
 * Files get mode 0644, or 0755 when the entry has an execute bit.
 */
export async function extractVerified(
  archivePath: string,
  stagingParent: string,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  const log = options.logger ?? nullLogger();
  const now = options.now ?? (() => performance.now());
  const started = now();
  await mkdir(stagingParent, { recursive: true });
  const stagingDir = await mkdtemp(join(resolve(stagingParent), options.prefix ?? ".repo-cloner-staging-"));
  log.info("Extracting archive", { archive: archivePath, staging: stagingDir });
  try {
    const result = await scanArchive(archivePath, {
      sink: stagingSink(stagingDir),
      onEntry: options.onEntry,
    });
    const report = buildReport(result, archivePath, now() - started);
    log.info("Archive verified and extracted", {
      archive: archivePath,
      staging: stagingDir,
      entries: report.entries,
      status: "success",
      duration_seconds: Math.round(report.duration_ms) / 1000,
    });
    return { stagingDir, manifest: result.manifest, report };
  } catch (error) {
    await rm(stagingDir, { recursive: true, force: true });
    let typed: unknown = error;
    try {
      typed = archiveError(error, archivePath, options.action ?? "verify");
    } catch {
      // Not an archive problem (an I/O fault): rethrow as is, staging already removed.
    }
    log.error("Archive extraction failed; staging removed", {
      archive: archivePath,
      status: "failure",
      error_type: (typed as { errorType?: string }).errorType ?? (typed as Error)?.name,
    });
    throw typed;
  }
}

function stagingSink(root: string): EntrySink {
  const target = (path: string): string => {
    // The scan validated every path already; this re-check keeps the sink safe on its own.
    const problem = entryPathProblem(path);
    const full = resolve(root, path);
    if (problem || !full.startsWith(root + sep) || relative(root, full).startsWith("..")) {
      throw new Error(`refusing to write outside the staging directory: ${JSON.stringify(path)}`);
    }
    return full;
  };
  const parent = async (full: string) => {
    const dir = full.slice(0, full.lastIndexOf(sep));
    if (dir !== root) await mkdir(dir, { recursive: true, mode: 0o755 });
  };
  return {
    async directory(path) {
      await mkdir(target(path), { recursive: true, mode: 0o755 });
    },
    async file(entry): Promise<EntryWriter> {
      const full = target(entry.path);
      await parent(full);
      const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
      const fh: FileHandle = await open(full, flags, entry.mode & 0o111 ? 0o755 : 0o644);
      let closed = false;
      return {
        async write(chunk) {
          let off = 0;
          while (off < chunk.length) {
            const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
            off += bytesWritten;
          }
        },
        async close() {
          if (closed) return;
          closed = true;
          await fh.close();
        },
      };
    },
  };
}
