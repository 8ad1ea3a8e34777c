/**
 * The local-directory backend (a USB stick, an NFS share, a plain directory). Writes are atomic for
 * readers: temp name + fsync + rename + directory fsync, so a crash leaves only a `*.partial` file.
 */
import { fsyncDir } from "../fs/atomic_write.ts";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { type FileHandle, lstat, mkdir, open, readdir, realpath, rename, rm, unlink } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { type Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Meter } from "./_meter.ts";
import { classifyStorageError, StorageError } from "./errors.ts";
import { retainArchives, type RetentionResult } from "./retention.ts";
import type { ObjectInfo, PutOptions, PutResult, Storage } from "./types.ts";
import { validateKey } from "./url.ts";

const PARTIAL = ".partial";
/** Upper bound on directory entries one listing visits. */
const MAX_LIST_ENTRIES = 1_000_000;

/** Stores objects as files under one root directory; keys are relative paths below it. */
export class LocalStorage implements Storage {
  readonly kind = "local" as const;
  readonly location: string;

  /** @param root directory (created on first put); resolved to an absolute path. */
  constructor(root: string) {
    this.location = resolve(root);
  }

  /** Absolute path of `key`. @throws TypeError for a key that is invalid or escapes the root. */
  url(key: string): string {
    validateKey(key);
    if (key.split("/").at(-1)!.endsWith(PARTIAL)) {
      throw new TypeError(
        `Cannot use key "${key}": names ending in "${PARTIAL}" are reserved for partial writes`,
      );
    }
    const path = resolve(this.location, ...key.split("/"));
    const rel = relative(this.location, path);
    if (rel === "" || rel.startsWith("..") || resolve(this.location, rel) !== path) {
      throw new TypeError(`Cannot use key "${key}": it points outside "${this.location}"`);
    }
    return path;
  }

  /** Writes `<path>.<random>.partial`, fsyncs it, renames it into place and fsyncs the directory. */
  async put(key: string, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const started = performance.now();
    const path = this.url(key);
    const dir = dirname(path);
    let handle: FileHandle | undefined;
    let partial: string | undefined;
    let bodyError: unknown;
    body.once("error", (e) => bodyError ??= e);
    try {
      await this.#prepareDir(dir, key);
      partial = `${path}.${randomBytes(6).toString("hex")}${PARTIAL}`;
      handle = await open(partial, "wx", 0o644);
      const meter = new Meter({
        url: path,
        sha256: options.sha256,
        size: options.size,
        onBytes: (bytes) => options.onProgress?.({ bytes, total: options.size }),
      });
      await pipeline(body, meter, fileSink(handle), ...(options.signal ? [{ signal: options.signal }] : []));
      await handle.sync();
      await handle.close();
      handle = undefined;
      await rename(partial, path);
      partial = undefined;
      fsyncDir(dir);
      const written = await lstat(path);
      if (written.size !== meter.bytes) {
        throw new StorageError(
          `Cannot store "${path}": ${written.size} bytes on disk, ${meter.bytes} written`,
          {
            reason: "integrity",
          },
        );
      }
      if (options.verify === "read-back") {
        const again = await hashFile(path);
        if (again !== meter.sha256) {
          await rm(path, { force: true });
          throw new StorageError(`Cannot store "${path}": read back sha256 ${again}, wrote ${meter.sha256}`, {
            reason: "integrity",
          });
        }
      }
      return {
        key,
        url: path,
        size: meter.bytes,
        sha256: meter.sha256,
        verified: options.verify === "read-back" ? "read-back" : "size+sha256",
        durationMs: performance.now() - started,
      };
    } catch (error) {
      body.destroy();
      await handle?.close().catch(() => {});
      if (partial) await rm(partial, { force: true }).catch(() => {});
      if (bodyError !== undefined && !(bodyError instanceof StorageError)) {
        throw classifyStorageError(bodyError, { verb: "read the body for", url: path });
      }
      throw localError(error, "store", path);
    }
  }

  /** Opens the file for streaming. @throws StorageError "not_found" when it is absent or not a file. */
  async get(key: string): Promise<Readable> {
    const path = this.url(key);
    const info = await this.#statInside(key, path);
    if (!info) throw new StorageError(`Cannot read "${path}": no such file`, { reason: "not_found" });
    const stream = createReadStream(path);
    await new Promise<void>((ok, fail) => {
      stream.once("ready", () => ok());
      stream.once("error", (e) => fail(localError(e, "read", path)));
    });
    return stream;
  }

  /** Size and mtime of the file; undefined when absent. Local files carry no sha256. */
  async stat(key: string): Promise<ObjectInfo | undefined> {
    const path = this.url(key);
    const info = await this.#statInside(key, path);
    return info && { key, size: info.size, lastModified: info.mtime };
  }

  /** Regular files below the root whose key starts with `prefix`; `*.partial` and symlinks are skipped. */
  async list(prefix = ""): Promise<ObjectInfo[]> {
    const slash = prefix.lastIndexOf("/");
    const startKey = slash < 0 ? "" : prefix.slice(0, slash);
    const start = startKey === "" ? this.location : this.url(startKey);
    const out: ObjectInfo[] = [];
    const stack = [start];
    let visited = 0;
    while (stack.length > 0) {
      const dir = stack.pop()!;
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (isCode(error, "ENOENT") || isCode(error, "ENOTDIR")) continue;
        throw localError(error, "list", dir);
      }
      for (const entry of entries) {
        if (++visited > MAX_LIST_ENTRIES) {
          throw new StorageError(`Cannot list "${this.location}": more than ${MAX_LIST_ENTRIES} entries`);
        }
        const full = join(dir, entry.name);
        const key = relative(this.location, full).split(sep).join("/");
        if (entry.isDirectory()) {
          if (key.startsWith(prefix) || prefix.startsWith(key + "/")) stack.push(full);
        } else if (entry.isFile() && !entry.name.endsWith(PARTIAL) && key.startsWith(prefix)) {
          const info = await lstat(full).catch(() => undefined);
          if (info?.isFile()) out.push({ key, size: info.size, lastModified: info.mtime });
        }
      }
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Removes the file; an absent file is not an error. */
  async delete(key: string): Promise<void> {
    const path = this.url(key);
    if (!(await this.#statInside(key, path))) return;
    try {
      await unlink(path);
    } catch (error) {
      if (!isCode(error, "ENOENT")) throw localError(error, "delete", path);
    }
  }

  /** See {@link retainArchives}. */
  retain(repoName: string, keepNewest: number, options: { dryRun?: boolean } = {}): Promise<RetentionResult> {
    return retainArchives(this, repoName, { keepNewest, dryRun: options.dryRun });
  }

  /** lstat of a regular file whose real parent directory is inside the root; else undefined. */
  async #statInside(key: string, path: string) {
    let info;
    try {
      info = await lstat(path);
    } catch (error) {
      if (isCode(error, "ENOENT") || isCode(error, "ENOTDIR")) return undefined;
      throw localError(error, "stat", path);
    }
    if (!info.isFile()) return undefined;
    await this.#assertInside(dirname(path), key);
    return info;
  }

  /** Creates `dir` below the root, refusing first if its nearest existing ancestor lies outside. */
  async #prepareDir(dir: string, key: string): Promise<void> {
    await mkdir(this.location, { recursive: true });
    let existing = dir;
    for (let i = 0; i < 4096 && existing !== this.location; i++) {
      const found = await lstat(existing).then(() => true, () => false);
      if (found) break;
      existing = dirname(existing);
    }
    await this.#assertInside(existing, key);
    await mkdir(dir, { recursive: true });
    await this.#assertInside(dir, key);
  }

  /** Refuses a directory that resolves (through symlinks) outside the root. */
  async #assertInside(dir: string, key: string): Promise<void> {
    const [root, real] = await Promise.all([realpath(this.location), realpath(dir)]);
    const rel = relative(root, real);
    if (rel.startsWith("..") || resolve(root, rel) !== real) {
      throw new TypeError(`Cannot use key "${key}": its directory resolves outside "${this.location}"`);
    }
  }
}

/** A Writable that writes every chunk fully to an open file handle. */
function fileSink(handle: FileHandle): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      writeAll(handle, chunk).then(() => done(), done);
    },
  });
}

async function writeAll(handle: FileHandle, buf: Buffer): Promise<void> {
  let offset = 0;
  for (let i = 0; offset < buf.length && i < 1_000_000; i++) {
    const { bytesWritten } = await handle.write(buf, offset, buf.length - offset);
    offset += bytesWritten;
  }
}

/** sha256 (hex) of a file, streamed. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function isCode(error: unknown, code: string): boolean {
  return (error as { code?: unknown })?.code === code;
}

function localError(error: unknown, verb: string, path: string): Error {
  if (error instanceof StorageError || error instanceof TypeError) return error;
  const e = error as { code?: string; name?: string; message?: string };
  if (e?.name === "AbortError") {
    return new StorageError(`Cannot ${verb} "${path}": aborted`, { cause: error });
  }
  const what = e?.code ?? e?.name ?? "Error";
  return new StorageError(
    `Cannot ${verb} "${path}": ${what}: ${String(e?.message ?? error).split("\n")[0]}`,
    {
      cause: error,
    },
  );
}
