import { createHash } from "node:crypto";
import { ArchiveFormatError } from "./archive_format_error.ts";
import { MAX_MANIFEST_BYTES } from "./manifest.ts";
import { type ManifestPlan, parseManifest } from "./manifest_check.ts";
import { readTarEntries } from "./tar_reader.ts";

/** manifest.json as read from the front of an archive. */
export interface ManifestRead {
  plan: ManifestPlan;
  /** sha256 of the manifest.json bytes (what an incremental's `base.sha256` names). */
  sha256: string;
  /** Size of manifest.json in bytes. */
  size: number;
}

/**
 * Reads only the first tar entry of a decompressed archive stream, which must be manifest.json, and
 * checks it (schema, seal, consistency). The rest of the stream is not read: the caller's generator
 * is closed, so a remote or multi-volume source stops early.
 * @throws ArchiveFormatError when the first entry is not a valid manifest.json.
 */
export async function readManifestEntry(chunks: AsyncIterable<Uint8Array>): Promise<ManifestRead> {
  const entries = readTarEntries(chunks);
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
    return manifestFromBytes(bytes);
  } finally {
    await entries.return(undefined);
  }
}

/**
 * Checks manifest.json bytes given on their own (a base given as its manifest.json).
 * @throws ArchiveFormatError naming manifest.json.
 */
export function manifestFromBytes(bytes: Uint8Array): ManifestRead {
  const plan = parseManifest(bytes);
  return { plan, sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
}
