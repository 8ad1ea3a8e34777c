import { createHash } from "node:crypto";
import { ArchiveFormatError } from "./archive_format_error.ts";
import { BundleChecker, type BundleSummary } from "./bundle_check.ts";
import { openGzipFile } from "./gzip_source.ts";
import { type Manifest, MAX_MANIFEST_BYTES } from "./manifest.ts";
import { checkBundleAgainstManifest, type EntryKind, entryKind, parseManifest } from "./manifest_check.ts";
import { readTarEntries, type TarEntry } from "./tar_reader.ts";

/** Receives a file entry's bytes as they are verified (extraction). */
export interface EntryWriter {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Where a scan may put entries. Paths are validated before any call. */
export interface EntrySink {
  /** A directory entry (an ancestor of a listed file). */
  directory(path: string): Promise<void>;
  /** Opens a file entry before its first byte is read. */
  file(entry: TarEntry): Promise<EntryWriter>;
}

/** One entry done (progress, logging). */
export interface ScanEntryEvent {
  path: string;
  kind: EntryKind;
  size: number;
  /** Entries verified so far, manifest included. */
  done: number;
  /** Entries the manifest lists, manifest included. */
  total: number;
}

/** Options of {@link scanArchive}. */
export interface ScanOptions {
  /** Where entries go; default none (verify only). */
  sink?: EntrySink;
  /** Called after each entry has been checked. */
  onEntry?: (event: ScanEntryEvent) => void;
  /** Called with the compressed bytes read so far. */
  onRead?: (bytes: number) => void;
}

/** Per-kind tallies. */
export type KindCounts = Record<EntryKind, { files: number; bytes: number }>;

/** What one successful pass found. */
export interface ScanResult {
  manifest: Manifest;
  /** sha256 of the manifest.json entry. */
  manifestSha256: string;
  /** Compressed archive size. */
  archiveBytes: number;
  /** Decompressed tar stream size. */
  tarBytes: number;
  /** The checked bundle; undefined when the manifest marks it empty. */
  bundle?: BundleSummary;
  counts: KindCounts;
}

// Tar overhead allowed per entry beyond its padded body: a header block plus a pax header.
const PER_ENTRY_OVERHEAD = 512 + 512 + 16 * 1024;
// Zero blocks allowed after the last entry (end marker plus record padding).
const TAIL_ALLOWANCE = 4 * 1024 * 1024;

/**
 * The single streaming pass behind `archive verify` and safe extraction: manifest.json first and
 * well-formed; every entry listed once, with the listed size (checked from the header, before its
 * body is read) and sha256; the bundle's header and pack trailer checked and matched with the
 * manifest; nothing unlisted; nothing listed missing; decompression bounded by what the manifest
 * accounts for (gzip bombs). Throws {@link ArchiveFormatError} for the first bad entry.
 */
export async function scanArchive(path: string, options: ScanOptions = {}): Promise<ScanResult> {
  const source = await openGzipFile(path, { onRead: options.onRead });
  const budget = { used: 0, limit: MAX_MANIFEST_BYTES + PER_ENTRY_OVERHEAD + TAIL_ALLOWANCE };
  const entries = readTarEntries(metered(source.chunks, budget));
  const counts = emptyCounts();
  try {
    const first = await entries.next();
    if (first.done) throw new ArchiveFormatError("archive holds no entries (manifest.json missing)");
    const m = first.value;
    if (m.path !== "manifest.json" || m.type !== "file") {
      throw new ArchiveFormatError(
        `first entry is ${JSON.stringify(m.path)}, not manifest.json (manifest.json missing or not first)`,
        { entry: m.path },
      );
    }
    if (m.size > MAX_MANIFEST_BYTES) {
      throw new ArchiveFormatError(`manifest.json claims ${m.size} bytes (limit ${MAX_MANIFEST_BYTES})`, {
        entry: m.path,
      });
    }
    const manifestBytes = new Uint8Array(m.size);
    let filled = 0;
    const writer = await options.sink?.file(m);
    try {
      for await (const chunk of m.body()) {
        manifestBytes.set(chunk, filled);
        filled += chunk.length;
        await writer?.write(chunk);
      }
    } finally {
      await writer?.close();
    }
    const manifestSha256 = createHash("sha256").update(manifestBytes).digest("hex");
    const plan = parseManifest(manifestBytes);
    count(counts, "manifest", m.size);
    const total = plan.manifest.files.length + 1;
    options.onEntry?.({ path: m.path, kind: "manifest", size: m.size, done: 1, total });
    budget.limit = budget.used + plan.totalBytes + (total + plan.directories.size) * PER_ENTRY_OVERHEAD +
      TAIL_ALLOWANCE;

    let bundle: BundleSummary | undefined;
    const seen = new Set<string>();
    for await (const entry of entries) {
      const shown = JSON.stringify(entry.path);
      if (entry.type === "directory") {
        if (!plan.directories.has(entry.path)) {
          throw new ArchiveFormatError(`directory entry ${shown} holds no listed file`, {
            entry: entry.path,
          });
        }
        await options.sink?.directory(entry.path);
        continue;
      }
      const listed = plan.files.get(entry.path);
      if (!listed) {
        throw new ArchiveFormatError(`entry ${shown} is not listed in the manifest`, { entry: entry.path });
      }
      if (entry.size !== listed.size) {
        throw new ArchiveFormatError(
          `entry ${shown} size mismatch (header claims ${entry.size} bytes, manifest lists ${listed.size})`,
          { entry: entry.path },
        );
      }
      const kind = entryKind(entry.path);
      const hash = createHash("sha256");
      const checker = kind === "bundle" && !plan.manifest.bundle.empty ? new BundleChecker() : undefined;
      const out = await options.sink?.file(entry);
      try {
        for await (const chunk of entry.body()) {
          hash.update(chunk);
          checker?.update(chunk);
          if (out) await out.write(chunk);
        }
      } finally {
        await out?.close();
      }
      if (hash.digest("hex") !== listed.sha256) {
        const why = kind === "lfs" ? " (LFS object content does not match its oid)" : "";
        throw new ArchiveFormatError(`entry ${shown} sha256 mismatch${why}`, { entry: entry.path });
      }
      if (checker) bundle = finishBundle(checker, plan.manifest);
      seen.add(entry.path);
      count(counts, kind, entry.size);
      options.onEntry?.({ path: entry.path, kind, size: entry.size, done: seen.size + 1, total });
    }
    for (const f of plan.manifest.files) {
      if (!seen.has(f.path)) {
        throw new ArchiveFormatError(
          `entry ${JSON.stringify(f.path)} is listed in the manifest but missing from the archive`,
          { entry: f.path },
        );
      }
    }
    return {
      manifest: plan.manifest,
      manifestSha256,
      archiveBytes: source.size,
      tarBytes: budget.used,
      bundle,
      counts,
    };
  } catch (error) {
    await entries.return(undefined).catch(() => {});
    throw await source.explain(error);
  } finally {
    await entries.return(undefined);
  }
}

function finishBundle(checker: BundleChecker, manifest: Manifest): BundleSummary {
  let summary: BundleSummary;
  try {
    summary = checker.finish();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ArchiveFormatError(`entry "repo.bundle" is not a valid git bundle: ${why}`, {
      entry: "repo.bundle",
      cause: error,
    });
  }
  checkBundleAgainstManifest(summary, manifest);
  return summary;
}

async function* metered(
  chunks: AsyncIterable<Uint8Array>,
  budget: { used: number; limit: number },
): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    budget.used += chunk.length;
    if (budget.used > budget.limit) {
      throw new ArchiveFormatError(
        `archive expands to more than ${budget.limit} bytes, more than its manifest accounts for (gzip bomb or unlisted data)`,
      );
    }
    yield chunk;
  }
}

function emptyCounts(): KindCounts {
  const zero = () => ({ files: 0, bytes: 0 });
  return {
    manifest: zero(),
    bundle: zero(),
    lfs: zero(),
    dependency: zero(),
    restore_script: zero(),
    other: zero(),
  };
}

function count(counts: KindCounts, kind: EntryKind, bytes: number): void {
  counts[kind].files++;
  counts[kind].bytes += bytes;
}
