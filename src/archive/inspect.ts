import { basename } from "node:path";
import { openGzipFile } from "./gzip_source.ts";
import type { Manifest } from "./manifest.ts";
import { readManifestEntry } from "./manifest_reader.ts";
import { archiveError } from "./verify.ts";

/** What `archive inspect` shows: the manifest and a summary computed from it. */
export interface InspectResult {
  archive: string;
  /** Compressed archive size. */
  archive_bytes: number;
  /** False: inspect reads only manifest.json; `archive verify` checks the rest. */
  verified: false;
  /** sha256 of manifest.json: the value an incremental built on this archive records as `base.sha256`. */
  manifest_sha256: string;
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
 * `VerificationError` (exit 3) for a bad archive, `UsageError` (exit 2) for a missing file; their
 * messages read `Cannot <action> archive …` (`options.action`, default "inspect").
 */
export async function inspectArchive(
  path: string,
  options: { action?: string } = {},
): Promise<InspectResult> {
  try {
    const source = await openGzipFile(path);
    const read = await readManifestEntry(source.chunks).catch(async (e) => {
      throw await source.explain(e);
    });
    const { plan } = read;
    const refs = Object.keys(plan.manifest.refs);
    const branches = refs.filter((r) => r.startsWith("refs/heads/")).length;
    const tags = refs.filter((r) => r.startsWith("refs/tags/")).length;
    return {
      archive: basename(path),
      archive_bytes: source.size,
      verified: false,
      manifest_sha256: read.sha256,
      summary: {
        branches,
        tags,
        other_refs: refs.length - branches - tags,
        lfs_objects: plan.manifest.lfs.objects.length,
        lfs_bytes: plan.manifest.lfs.objects.reduce((n, o) => n + o.size, 0),
        bundle_bytes: plan.manifest.bundle.size,
        files: plan.manifest.files.length + 1,
        content_bytes: plan.totalBytes + read.size,
      },
      manifest: plan.manifest,
    };
  } catch (error) {
    throw archiveError(error, path, options.action ?? "inspect");
  }
}
