/**
 * The manifest of an archive kept in storage, read from the front of the object: only the first tar
 * entry is downloaded (the GetObject stream is closed after it), never the whole archive.
 */
import { createGunzip } from "node:zlib";
import { ArchiveError } from "../errors.ts";
import type { Storage } from "../storage/mod.ts";
import { ArchiveFormatError } from "./archive_format_error.ts";
import { type Manifest, MAX_MANIFEST_BYTES } from "./manifest.ts";
import { manifestFromBytes } from "./manifest_reader.ts";
import { readTarEntries } from "./tar_reader.ts";

/** A stored archive's manifest.json: its exact bytes (an incremental's base is named by their sha256). */
export interface StoredManifest {
  manifest: Manifest;
  bytes: Uint8Array;
  sha256: string;
}

/**
 * Reads and checks (schema, seal, consistency) the manifest.json that opens the archive `key`.
 * @throws ArchiveError when the object is not a repo-cloner archive; storage errors (StorageError,
 *   AuthError, TransientError) as `storage.get` throws them.
 */
export async function readStoredManifest(
  storage: Pick<Storage, "get" | "url">,
  key: string,
  options: { signal?: AbortSignal } = {},
): Promise<StoredManifest> {
  const body = await storage.get(key, { signal: options.signal });
  const gunzip = createGunzip();
  body.on("error", (e) => gunzip.destroy(e));
  body.pipe(gunzip);
  const entries = readTarEntries(gunzip as AsyncIterable<Uint8Array>);
  try {
    const first = await entries.next();
    if (first.done || first.value.path !== "manifest.json" || first.value.type !== "file") {
      throw new ArchiveFormatError("its first entry is not manifest.json");
    }
    if (first.value.size > MAX_MANIFEST_BYTES) {
      throw new ArchiveFormatError(`manifest.json claims ${first.value.size} bytes`);
    }
    const bytes = new Uint8Array(first.value.size);
    let at = 0;
    for await (const chunk of first.value.body()) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    const read = manifestFromBytes(bytes);
    return { manifest: read.plan.manifest, bytes, sha256: read.sha256 };
  } catch (error) {
    if (error instanceof ArchiveFormatError || /incorrect header check|unexpected end/i.test(String(error))) {
      throw new ArchiveError(
        `Cannot read the manifest of "${storage.url(key)}": ${
          (error as Error).message
        }. It is not a repo-cloner archive or it is damaged: move it away from the prefix`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    await entries.return(undefined).catch(() => {});
    body.unpipe(gunzip);
    body.destroy();
    gunzip.destroy();
  }
}
