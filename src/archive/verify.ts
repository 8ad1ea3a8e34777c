import { basename } from "node:path";
import { type RepoClonerError, UsageError, VerificationError } from "../errors.ts";
import { type ModuleLogger, nullLogger } from "../log/logger.ts";
import { ArchiveFormatError } from "./archive_format_error.ts";
import { type KindCounts, scanArchive, type ScanOptions, type ScanResult } from "./scan.ts";

/** The outcome of a successful verification: what was checked, with the spec's check-list counts. */
export interface VerifyReport {
  valid: true;
  /** Archive path as given. */
  archive: string;
  archive_id: string;
  type: "full" | "incremental";
  format_version: 1;
  /** sha256 of manifest.json. */
  manifest_sha256: string;
  /** Compressed and decompressed sizes. */
  archive_bytes: number;
  content_bytes: number;
  /** Entries checked, manifest.json included. */
  entries: number;
  checks: {
    manifest: { ok: true };
    bundle: {
      ok: true;
      empty: boolean;
      version?: number;
      object_format?: string;
      refs: number;
      prerequisites: number;
      objects: number;
      bytes: number;
    };
    lfs: { ok: true; files: number; bytes: number };
    dependencies: { ok: true; files: number; bytes: number; ecosystems: Record<string, string> };
    restore_scripts: { ok: true; files: number };
    other: { ok: true; files: number };
  };
  duration_ms: number;
}

/** Options of {@link verifyArchive}. */
export interface VerifyOptions {
  /** Logger; default none. Records go to `repo_cloner.archive_verify` when given the root's child. */
  logger?: ModuleLogger;
  /** Progress per entry. */
  onEntry?: ScanOptions["onEntry"];
  /** Clock in ms, for tests. Default `performance.now`. */
  now?: () => number;
}

/**
 * Verifies an archive in one streaming pass without extracting anything or running git
 * (docs/ARCHIVE-FORMAT.md, "Verification"). Returns the report; throws {@link VerificationError}
 * (exit 3) naming the first bad entry, or {@link UsageError} (exit 2) when the path cannot be opened.
 */
export async function verifyArchive(path: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const log = options.logger ?? nullLogger();
  const now = options.now ?? (() => performance.now());
  const started = now();
  log.info("Verifying archive", { archive: path });
  let result: ScanResult;
  try {
    result = await scanArchive(path, { onEntry: options.onEntry });
  } catch (error) {
    const typed = archiveError(error, path, "verify");
    log.error("Archive verification failed", {
      archive: path,
      entry: (typed as VerificationError).entry,
      status: "failure",
      error_type: typed.errorType,
      duration_seconds: round((now() - started) / 1000),
    });
    throw typed;
  }
  const report = buildReport(result, path, now() - started);
  log.info("Archive is valid", {
    archive: path,
    archive_id: report.archive_id,
    entries: report.entries,
    lfs_objects: report.checks.lfs.files,
    status: "success",
    duration_seconds: round(report.duration_ms / 1000),
  });
  return report;
}

/** Builds the report of a successful scan. */
export function buildReport(result: ScanResult, path: string, durationMs: number): VerifyReport {
  const { manifest: m, counts, bundle } = result;
  const entries = Object.values(counts as KindCounts).reduce((n, c) => n + c.files, 0);
  const ecosystems: Record<string, string> = {};
  for (const [name, dep] of Object.entries(m.dependencies)) ecosystems[name] = dep.status;
  return {
    valid: true,
    archive: path,
    archive_id: m.archive_id,
    type: m.type,
    format_version: m.format_version,
    manifest_sha256: result.manifestSha256,
    archive_bytes: result.archiveBytes,
    content_bytes: result.tarBytes,
    entries,
    checks: {
      manifest: { ok: true },
      bundle: {
        ok: true,
        empty: m.bundle.empty,
        version: bundle?.header.version,
        object_format: bundle?.header.objectFormat,
        refs: bundle?.header.refs.length ?? 0,
        prerequisites: bundle?.header.prerequisites.length ?? 0,
        objects: bundle?.pack.objects ?? 0,
        bytes: bundle?.bytes ?? 0,
      },
      lfs: { ok: true, files: counts.lfs.files, bytes: counts.lfs.bytes },
      dependencies: { ok: true, files: counts.dependency.files, bytes: counts.dependency.bytes, ecosystems },
      restore_scripts: { ok: true, files: counts.restore_script.files },
      other: { ok: true, files: counts.other.files },
    },
    duration_ms: Math.round(durationMs),
  };
}

/**
 * Turns a scan failure into the user-facing error: {@link UsageError} (exit 2) when the archive could
 * not be opened, {@link VerificationError} (exit 3) otherwise; anything else (an I/O fault) is rethrown.
 * Message: `Cannot <action> archive "<name>": <reason>`.
 */
export function archiveError(error: unknown, path: string, action: string): RepoClonerError {
  if (!(error instanceof ArchiveFormatError)) throw error;
  const head = `Cannot ${action} archive "${basename(path)}"`;
  if (error.openFailed) {
    return new UsageError(`${head}: ${error.reason} (${path}). Check the archive path`, { cause: error });
  }
  const hint = error.hint ?? "The archive is damaged or was tampered with: get a fresh copy";
  return new VerificationError(`${head}: ${error.reason}. ${hint}`, {
    entry: error.entry,
    cause: error,
  });
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
