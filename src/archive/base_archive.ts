import { closeSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { UsageError } from "../errors.ts";
import { isS3Url, openStorageObject } from "../storage/mod.ts";
import { ArchiveFormatError } from "./archive_format_error.ts";
import { openGzipFile } from "./gzip_source.ts";
import { type FileEntry, type Manifest, MAX_MANIFEST_BYTES } from "./manifest.ts";
import { manifestFromBytes, type ManifestRead, readManifestEntry } from "./manifest_reader.ts";
import { refStateSha256 } from "./ref_state.ts";
import { archiveError } from "./verify.ts";

/** The archive an incremental builds on, known by its manifest alone. */
export interface ArchiveBase {
  manifest: Manifest;
  /** sha256 of the base's manifest.json bytes (recorded as `base.sha256`). */
  manifestSha256: string;
  /** Where it was read from, as given. */
  location: string;
}

/** Options of {@link readArchiveBase}. */
export interface ReadBaseOptions {
  /** Base for a relative path. Default the process's working directory. */
  cwd?: string;
  /** Environment for an `s3://` location (credentials, endpoint). Default process.env. */
  env?: Record<string, string | undefined>;
}

/**
 * Reads the manifest of the base of an incremental archive. `location` is the previous archive (a
 * local `.tar.gz`, a split set's index or first volume, or an `s3://bucket/key` object) or just its
 * `manifest.json` (local or S3): the staging host need not keep whole archives. From an archive only
 * the first entry is read (streamed; an S3 download stops there). The manifest is checked like any
 * archive's (schema, seal, consistency).
 * @throws UsageError (exit 2) when the location cannot be opened; VerificationError (exit 3) when it
 *   is not a valid archive or manifest; StorageError/AuthError from S3.
 */
export async function readArchiveBase(location: string, options: ReadBaseOptions = {}): Promise<ArchiveBase> {
  let read: ManifestRead;
  try {
    read = isS3Url(location) ? await readRemote(location, options) : await readLocal(location, options);
  } catch (error) {
    if (error instanceof ArchiveFormatError && error.openFailed) {
      throw new UsageError(
        `Cannot read base archive "${location}": ${error.reason}. Give the previous archive (or its manifest.json) with --base`,
        { cause: error },
      );
    }
    throw archiveError(error, location, "read base");
  }
  return { manifest: read.plan.manifest, manifestSha256: read.sha256, location };
}

async function readLocal(location: string, options: ReadBaseOptions): Promise<ManifestRead> {
  const path = resolve(options.cwd ?? process.cwd(), location);
  if (looksLikeJson(path)) {
    const size = statSync(path).size;
    if (size > MAX_MANIFEST_BYTES) {
      throw new ArchiveFormatError(`manifest.json is larger than ${MAX_MANIFEST_BYTES} bytes`);
    }
    return manifestFromBytes(readFileSync(path));
  }
  const source = await openGzipFile(path);
  return await readManifestEntry(source.chunks).catch(async (e) => {
    throw await source.explain(e);
  });
}

/** A local file whose first non-blank byte is `{` and is not a volume index: a manifest.json. */
function looksLikeJson(path: string): boolean {
  if (path.endsWith(".volumes.json")) return false;
  const head = Buffer.alloc(64);
  let n = 0;
  try {
    const fd = openSync(path, "r");
    try {
      n = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false; // opened again below, which names the problem
  }
  return head.subarray(0, n).toString("utf8").trimStart().startsWith("{");
}

async function readRemote(location: string, options: ReadBaseOptions): Promise<ManifestRead> {
  const { storage, key } = openStorageObject(location, { env: options.env, cwd: options.cwd });
  const body = await storage.get(key);
  try {
    const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const first = await chunks.next();
    if (first.done) throw new ArchiveFormatError("is empty");
    const head = first.value;
    if (head[0] === 0x1f && head[1] === 0x8b) {
      const gunzip = createGunzip();
      (async () => {
        gunzip.write(head);
        for (let c = await chunks.next(); !c.done; c = await chunks.next()) {
          if (!gunzip.write(c.value)) await new Promise((r) => gunzip.once("drain", r));
        }
        gunzip.end();
      })().catch((e) => gunzip.destroy(e));
      return await readManifestEntry(gunzip as AsyncIterable<Uint8Array>);
    }
    const parts: Buffer[] = [head];
    let size = head.length;
    for (let c = await chunks.next(); !c.done; c = await chunks.next()) {
      size += c.value.length;
      if (size > MAX_MANIFEST_BYTES) throw new ArchiveFormatError("manifest.json is too large");
      parts.push(c.value);
    }
    return manifestFromBytes(Buffer.concat(parts));
  } finally {
    (body as Readable).destroy();
  }
}

/** What the incremental records about its base. */
export function baseRecord(base: ArchiveBase): NonNullable<Manifest["base"]> {
  return {
    archive_id: base.manifest.archive_id,
    sha256: base.manifestSha256,
    refs_sha256: refStateSha256(base.manifest.refs),
  };
}

/** Every LFS object the chain up to `base` carries (its own and those it inherits), oid -> size. */
export function chainLfs(m: Manifest): Map<string, number> {
  const out = new Map<string, number>();
  for (const o of [...m.lfs.inherited, ...m.lfs.objects]) out.set(o.oid, o.size);
  return out;
}

/** Every dependency file the chain up to `m` carries (its own and inherited), path -> entry. */
export function chainDependencyFiles(m: Manifest): Map<string, FileEntry> {
  const out = new Map<string, FileEntry>();
  for (const d of Object.values(m.dependencies)) for (const f of d.inherited) out.set(f.path, f);
  for (const f of m.files) if (f.path.startsWith("dependencies/")) out.set(f.path, f);
  return out;
}

/**
 * Leaves out of an incremental what its base chain already carries: dependency files with the same
 * path and sha256 become `dependencies.<eco>.inherited`, and the chain's LFS objects that this archive
 * does not carry again become `lfs.inherited`. Mutates and returns `m`.
 */
export function inheritFromBase(m: Manifest, base: Manifest): Manifest {
  const baseDeps = chainDependencyFiles(base);
  const kept: FileEntry[] = [];
  for (const f of m.files) {
    const same = baseDeps.get(f.path);
    const eco = f.path.split("/")[1];
    if (
      f.path.startsWith("dependencies/") && same?.sha256 === f.sha256 && same.size === f.size &&
      m.dependencies[eco]
    ) {
      m.dependencies[eco].inherited.push(f);
    } else {
      kept.push(f);
    }
  }
  m.files = kept;
  const carried = new Set(m.lfs.objects.map((o) => o.oid));
  m.lfs.inherited = [...chainLfs(base)].filter(([oid]) => !carried.has(oid)).map(([oid, size]) => ({
    oid,
    size,
  }))
    .sort((a, b) => a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0);
  return m;
}
