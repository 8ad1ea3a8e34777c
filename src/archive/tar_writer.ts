import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { Readable, Transform, type Writable } from "node:stream";
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

/**
 * An entry whose tar blocks (header, content, padding) were compressed ahead of time into one gzip
 * member by {@link precompressEntry}: copied as is, its size checked.
 */
export interface TarMemberEntry {
  /** Path inside the archive. */
  path: string;
  /** File holding the gzip member. */
  member: string;
  /** Its size in bytes; a member file of another size aborts the write. */
  memberSize: number;
  /** Size of the entry's content (uncompressed), for progress. */
  size: number;
}

/** One archive entry, written in the order given. */
export type TarEntry = TarBytesEntry | TarFileEntry | TarMemberEntry;

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
  /**
   * End the tar stream with its end-of-archive marker (two zero blocks). Default true; false writes a
   * piece of a tar stream (see {@link precompressEntry}).
   */
  endOfArchive?: boolean;
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
 *
 * One gzip member holds the entries, unless some are {@link TarMemberEntry}: those are copied as their
 * own members between members holding the entries around them (RFC 1952 allows a series of members;
 * gzip, tar, Python, Go and our reader read them as one stream).
 */
export async function writeTarGz(
  outFile: string | Writable,
  entries: TarEntry[],
  options: WriteTarGzOptions = {},
): Promise<TarGzResult> {
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
  await pipeline(Readable.from(members(entries, options), { objectMode: false }), counter, out);
  if (typeof outFile === "string") fsyncPath(outFile);
  return { sha256: archiveHash.digest("hex"), size };
}

/** A file to write whose sha256 may be unknown yet: then it is computed, not checked. */
type FileContent = Omit<TarFileEntry, "sha256"> & { sha256?: string };

/**
 * Compresses the tar blocks of one file entry (header, content, padding; no end-of-archive marker)
 * into a gzip member in the new file `memberFile` (a scratch file: not fsynced), ready for
 * {@link writeTarGz}. This lets the biggest entry be compressed before the entries that precede it
 * in the archive (the manifest) are known. The content is hashed as it is read: the result's
 * `sha256` is the digest of exactly the bytes compressed; an entry that gives a `sha256` (or a size)
 * the file does not match aborts.
 * @throws ArchiveError when the file differs from what the entry claims.
 */
export async function precompressEntry(
  entry: FileContent,
  memberFile: string,
  options: Pick<WriteTarGzOptions, "mtime" | "gzipLevel" | "signal"> = {},
): Promise<TarMemberEntry & { sha256: string }> {
  let sha256 = "";
  let memberSize = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      memberSize += chunk.length;
      cb(null, chunk);
    },
  });
  const compressed = gzipMember([entry], { ...options, endOfArchive: false }, (_, digest) => {
    sha256 = digest ?? "";
  }, () => {});
  await pipeline(
    Readable.from(compressed, { objectMode: false }),
    counter,
    createWriteStream(memberFile, { flags: "wx", mode: 0o600 }),
  );
  return { path: entry.path, member: memberFile, memberSize, size: entry.size, sha256 };
}

/** The gzip members of the archive, as compressed chunks. */
async function* members(entries: TarEntry[], options: WriteTarGzOptions): AsyncGenerator<Buffer> {
  let payload = 0;
  const progress = (n: number) => options.onProgress?.(payload + n);
  let run: (TarBytesEntry | TarFileEntry)[] = [];
  const flush = async function* (last: boolean) {
    const entries = run;
    run = [];
    if (!entries.length && !(last && (options.endOfArchive ?? true))) return;
    yield* gzipMember(entries, { ...options, endOfArchive: last && (options.endOfArchive ?? true) }, (n) => {
      payload += n;
      options.onProgress?.(payload);
    }, progress);
  };
  for (const entry of entries) {
    if ("member" in entry) {
      yield* flush(false);
      if (options.signal?.aborted) throw new ArchiveError("Cannot write archive: aborted");
      yield* copyMember(entry, (n) => progress(Math.floor(entry.size * (n / Math.max(1, entry.memberSize)))));
      payload += entry.size;
      options.onProgress?.(payload);
    } else run.push(entry);
  }
  yield* flush(true);
}

/** One gzip member holding `entries` (and the end-of-archive marker when asked). */
async function* gzipMember(
  entries: (TarBytesEntry | FileContent)[],
  options: WriteTarGzOptions,
  entryDone: (bytes: number, sha256?: string) => void,
  progress: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  const mtime = options.mtime ?? new Date(0);
  const pack = tarStream.pack();
  const gzip = createGzip({ level: options.gzipLevel ?? 6 });
  // Errors reach us through `done`; these listeners keep late 'error' events from being uncaught.
  pack.on("error", () => {});
  const done = options.endOfArchive === false
    ? pipeline(pack, withoutEndMarker(), gzip)
    : pipeline(pack, gzip);
  done.catch(() => {});
  // Every wait below also ends when the compressing side fails, so an error never leaves us hanging.
  const failed = done.then(() => new Promise<never>(() => {}));
  failed.catch(() => {});
  const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, failed]);
  const feeding = (async () => {
    for (const entry of entries) {
      if (options.signal?.aborted) throw new ArchiveError("Cannot write archive: aborted");
      if ("content" in entry) {
        await guard(addBytes(pack, entry, mtime));
        entryDone(entry.content.length);
      } else {
        const digest = await addFile(pack, entry, { mtime, guard, progress, signal: options.signal });
        entryDone(entry.size, digest);
      }
    }
    pack.finalize();
  })().catch((e) => {
    pack.destroy(e as Error);
    throw e;
  });
  feeding.catch(() => {});
  try {
    for await (const chunk of gzip as AsyncIterable<Buffer>) yield chunk;
    await feeding;
    await done;
  } catch (e) {
    // An entry that failed is the cause; the stream errors it set off are not.
    throw await feeding.then(() => e, (cause) => cause);
  } finally {
    pack.destroy();
    gzip.destroy();
  }
}

/** A member written by {@link precompressEntry}, copied chunk by chunk, its size checked. */
async function* copyMember(entry: TarMemberEntry, progress: (n: number) => void): AsyncGenerator<Buffer> {
  const changed = (why: string) =>
    new ArchiveError(
      `Cannot write archive entry "${entry.path}": its compressed copy ${why} since it was written. ` +
        "Make sure nothing modifies the working directory, then run again",
    );
  let n = 0;
  const input = createReadStream(entry.member, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > entry.memberSize) throw changed("grew");
      yield chunk;
      progress(n);
    }
  } finally {
    input.destroy();
  }
  if (n !== entry.memberSize) throw changed("shrank");
}

/** Passes a tar stream through without its final 1024 bytes: the end-of-archive marker (checked zero). */
function withoutEndMarker(): Transform {
  const MARKER = 1024;
  let held = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (chunk.length >= MARKER) {
        if (held.length) this.push(held);
        if (chunk.length > MARKER) this.push(chunk.subarray(0, chunk.length - MARKER));
        held = Buffer.from(chunk.subarray(chunk.length - MARKER));
      } else {
        const all = Buffer.concat([held, chunk]);
        const cut = Math.max(0, all.length - MARKER);
        if (cut) this.push(all.subarray(0, cut));
        held = all.subarray(cut);
      }
      cb();
    },
    flush(cb) {
      const ok = held.length === MARKER && held.every((b) => b === 0);
      cb(
        ok ? null : new ArchiveError("Cannot write archive: the tar stream lacks its end-of-archive marker"),
      );
    },
  });
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

/** Streams one file into `pack`, checking its size (and sha256 when given); returns its sha256. */
async function addFile(
  pack: Pack,
  entry: FileContent,
  { mtime, guard, progress, signal }: {
    mtime: Date;
    guard: <T>(p: Promise<T>) => Promise<T>;
    progress: (n: number) => void;
    signal?: AbortSignal;
  },
): Promise<string> {
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
      if (signal?.aborted) throw new ArchiveError("Cannot write archive: aborted");
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
  const digest = hash.digest("hex");
  if (entry.sha256 !== undefined && digest !== entry.sha256) throw changed("the content changed");
  stream.end(undefined);
  await guard(finished);
  return digest;
}
