import { basename } from "node:path";
import { ArchiveFormatError } from "./archive_format_error.ts";
import { openGzipFile } from "./gzip_source.ts";
import { type Manifest, MAX_MANIFEST_BYTES } from "./manifest.ts";
import { parseManifest } from "./manifest_check.ts";
import { readTarEntries } from "./tar_reader.ts";
import { archiveError } from "./verify.ts";

/** What `archive inspect` shows: the manifest and a summary computed from it. */
export interface InspectResult {
  archive: string;
  /** Compressed archive size. */
  archive_bytes: number;
  /** False: inspect reads only manifest.json; `archive verify` checks the rest. */
  verified: false;
  summary: {
    branches: number;
    tags: number;
    other_refs: number;
    lfs_objects: number;
    lfs_bytes: number;
    bundle_bytes: number;
    files: number;
    content_bytes: number;
  };
  manifest: Manifest;
}

/**
 * Reads only the first entry, manifest.json, checks it (schema and internal consistency) and returns
 * it with a summary. Does not hash the other entries: use `verifyArchive` for that. Throws
 * `VerificationError` (exit 3) for a bad archive, `UsageError` (exit 2) for a missing file.
 */
export async function inspectArchive(path: string): Promise<InspectResult> {
  try {
    const source = await openGzipFile(path);
    const entries = readTarEntries(source.chunks);
    try {
      const first = await entries.next();
      if (first.done || first.value.path !== "manifest.json" || first.value.type !== "file") {
        const name = first.done ? "nothing" : JSON.stringify(first.value.path);
        throw new ArchiveFormatError(
          `first entry is ${name}, not manifest.json (manifest.json missing or not first)`,
        );
      }
      const m = first.value;
      if (m.size > MAX_MANIFEST_BYTES) {
        throw new ArchiveFormatError(`manifest.json claims ${m.size} bytes (limit ${MAX_MANIFEST_BYTES})`);
      }
      const bytes = new Uint8Array(m.size);
      let at = 0;
      for await (const chunk of m.body()) {
        bytes.set(chunk, at);
        at += chunk.length;
      }
      const plan = parseManifest(bytes);
      const refs = Object.keys(plan.manifest.refs);
      const branches = refs.filter((r) => r.startsWith("refs/heads/")).length;
      const tags = refs.filter((r) => r.startsWith("refs/tags/")).length;
      return {
        archive: basename(path),
        archive_bytes: source.size,
        verified: false,
        summary: {
          branches,
          tags,
          other_refs: refs.length - branches - tags,
          lfs_objects: plan.manifest.lfs.objects.length,
          lfs_bytes: plan.manifest.lfs.objects.reduce((n, o) => n + o.size, 0),
          bundle_bytes: plan.manifest.bundle.size,
          files: plan.manifest.files.length + 1,
          content_bytes: plan.totalBytes + m.size,
        },
        manifest: plan.manifest,
      };
    } finally {
      await entries.return(undefined);
    }
  } catch (error) {
    throw archiveError(error, path, "inspect");
  }
}
