import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { Transform, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import tarStream from "tar-stream";
import { ArchiveError } from "../errors.ts";
import { fsyncPath } from "../fs/atomic_write.ts";
import { SizeLimitReached } from "./size_limit.ts";

/** An entry given as bytes (manifest.json, small generated files). */
export interface TarBytesEntry {
  /** Path inside the archive. */
  path: string;
  content: Uint8Array;
}

/** An entry streamed from disk; hashed while written and checked against `sha256` and `size`. */
export interface TarFileEntry {
  /** Path inside the archive. */
  path: string;
  /** Local file to stream. */
  file: string;
  size: number;
  /** Expected sha256 (lowercase hex); a file that changed since it was listed aborts the write. */
  sha256: string;
}

/** One archive entry, written in the order given. */
export type TarEntry = TarBytesEntry | TarFileEntry;

/** Options of {@link writeTarGz}. */
export interface WriteTarGzOptions {
  /** Modification time stamped on every entry. Default the Unix epoch (reproducible output). */
  mtime?: Date;
  /** gzip level 1-9. Default 6 (as `tar czf`). */
  gzipLevel?: number;
  /**
   * Largest compressed size allowed; writing stops with {@link SizeLimitReached} as soon as the output
   * passes it. Default none.
   */
  maxBytes?: number;
  /** Called with the number of payload bytes written so far. */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

/** What {@link writeTarGz} wrote. */
export interface TarGzResult {
  /** sha256 of the .tar.gz file. */
  sha256: string;
  /** Size of the .tar.gz file in bytes. */
  size: number;
}

/**
 * Streams `entries` into a new gzip-compressed tar file `outFile` (created exclusively, fsynced), or
 * into a given writable stream (volumes; the stream fsyncs its own files):
 * regular files only, mode 0644, uid/gid 0, no user names, fixed mtime, so the same inputs give the
 * same bytes. Each file is read once, hashed as it is written; a size or sha256 that differs from
 * what the entry claims aborts the write with {@link ArchiveError}. The caller removes `outFile` on
 * failure (it is meant to be a `.partial` name).
 */
export async function writeTarGz(
  outFile: string | Writable,
  entries: TarEntry[],
  options: WriteTarGzOptions = {},
): Promise<TarGzResult> {
  const mtime = options.mtime ?? new Date(0);
  const pack = tarStream.pack();
  const archiveHash = createHash("sha256");
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      archiveHash.update(chunk);
      size += chunk.length;
      if (options.maxBytes !== undefined && size > options.maxBytes) {
        cb(new SizeLimitReached(options.maxBytes));
        return;
      }
      cb(null, chunk);
    },
  });
  const out = typeof outFile === "string"
    ? createWriteStream(outFile, { flags: "wx", mode: 0o644 })
    : outFile;
  // Errors reach us through `done`; these listeners keep late 'error' events from being uncaught.
  pack.on("error", () => {});
  const done = pipeline(pack, createGzip({ level: options.gzipLevel ?? 6 }), counter, out);
  // Every wait below also ends when the output side fails, so a write error never leaves us hanging.
  const failed = done.then(() => new Promise<never>(() => {}));
  failed.catch(() => {});
  const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, failed]);
  let payload = 0;
  try {
    for (const entry of entries) {
      if (options.signal?.aborted) throw new ArchiveError("Cannot write archive: aborted");
      if ("content" in entry) {
        await guard(addBytes(pack, entry, mtime));
        payload += entry.content.length;
      } else {
        await addFile(pack, entry, mtime, guard, (n) => options.onProgress?.(payload + n));
        payload += entry.size;
      }
      options.onProgress?.(payload);
    }
    pack.finalize();
    await done;
  } catch (e) {
    pack.destroy(e as Error);
    await done.catch(() => {});
    throw e;
  }
  if (typeof outFile === "string") fsyncPath(outFile);
  return { sha256: archiveHash.digest("hex"), size };
}

type Pack = ReturnType<typeof tarStream.pack>;

function header(path: string, size: number, mtime: Date) {
  return {
    name: path,
    size,
    mode: 0o644,
    mtime,
    uid: 0,
    gid: 0,
    uname: "",
    gname: "",
    type: "file" as const,
  };
}

function addBytes(pack: Pack, entry: TarBytesEntry, mtime: Date): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(
      header(entry.path, entry.content.length, mtime),
      Buffer.from(entry.content),
      (err) => err ? reject(err) : resolve(),
    );
  });
}

async function addFile(
  pack: Pack,
  entry: TarFileEntry,
  mtime: Date,
  guard: <T>(p: Promise<T>) => Promise<T>,
  progress: (n: number) => void,
) {
  const { promise: finished, resolve, reject } = Promise.withResolvers<void>();
  finished.catch(() => {});
  const stream = pack.entry(header(entry.path, entry.size, mtime), (err) => (err ? reject(err) : resolve()));
  stream.on("error", () => {});
  const hash = createHash("sha256");
  let n = 0;
  const changed = (why: string) =>
    new ArchiveError(
      `Cannot write archive entry "${entry.path}": ${why} since it was listed in the manifest. ` +
        "Make sure nothing modifies the staging directory, then run again",
    );
  const input = createReadStream(entry.file, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > entry.size) throw changed("the file grew");
      hash.update(chunk);
      if (!stream.write(chunk)) {
        await guard(
          new Promise<void>((resolve, reject) => {
            // Remove all three afterwards: one wait per full buffer would pile up listeners otherwise.
            const settle = (error?: Error) => {
              stream.off("drain", onDone);
              stream.off("close", onDone);
              stream.off("error", onError);
              if (error) reject(error);
              else resolve();
            };
            const onDone = () => settle();
            const onError = (e: Error) => settle(e);
            stream.once("drain", onDone);
            stream.once("error", onError);
            stream.once("close", onDone);
          }),
        );
      }
      progress(n);
    }
  } finally {
    input.destroy();
  }
  if (n !== entry.size) throw changed("the file shrank");
  if (hash.digest("hex") !== entry.sha256) throw changed("the content changed");
  stream.end(undefined);
  await guard(finished);
}
