import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { pipeline, Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { ArchiveFormatError } from "./archive_format_error.ts";
import { openVolumeSet, volumeIndexPathFor } from "./volumes.ts";

/** An opened `.tar.gz`: its compressed size and its decompressed bytes as a stream of chunks. */
export interface GzipSource {
  /** Compressed size in bytes at open time. */
  size: number;
  /** Decompressed chunks; throws {@link ArchiveFormatError} for corrupt, truncated or trailing data. */
  chunks: AsyncGenerator<Uint8Array>;
  /**
   * After a failure while reading: a better error when one can be found (for a volume set, the first
   * volume whose sha256 differs from the index), else `error` itself.
   */
  explain(error: unknown): Promise<unknown>;
}

/** Options of {@link openGzipFile}. */
export interface GzipSourceOptions {
  /** Bytes read from disk at a time. Default 512 KiB. */
  readChunk?: number;
  /** Decompressed chunk size. Default 128 KiB (smaller chunks keep peak RSS down). */
  inflateChunk?: number;
  /** Called with the number of compressed bytes read so far (progress). */
  onRead?: (bytes: number) => void;
}

/**
 * Opens a gzip file for one streaming pass. The file must be a regular file that starts with the
 * gzip signature; it may hold one or more gzip members and nothing after them (trailing bytes are
 * refused: Node's zlib silently ignores them). CRC and length trailers are checked by zlib.
 * A path naming a volume set (`x.tar.gz.volumes.json` or `x.tar.gz.001`, see volumes.ts) is read
 * across its volumes as one stream, each volume checked against the index as it ends.
 *
 * Throws {@link ArchiveFormatError} with `openFailed` when the path is missing or not a regular file.
 */
export async function openGzipFile(path: string, options: GzipSourceOptions = {}): Promise<GzipSource> {
  if (volumeIndexPathFor(path) !== undefined) {
    const set = openVolumeSet(path);
    const fh = await openRegular(set.files[0]);
    try {
      await checkMagic(fh);
    } finally {
      await fh.close();
    }
    return {
      size: set.index.size,
      chunks: inflate(set.chunks(options.onRead), options),
      explain: (error) => set.explain(error),
    };
  }
  const fh = await openRegular(path);
  try {
    const { size } = await fh.stat();
    await checkMagic(fh);
    return {
      size,
      chunks: inflate(fileChunks(fh, options), options),
      explain: (error) => Promise.resolve(error),
    };
  } catch (error) {
    await fh.close();
    throw error;
  }
}

async function openRegular(path: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" || code === "ENOTDIR"
      ? "no such file"
      : code === "EACCES"
      ? "permission denied"
      : `cannot open (${code ?? error})`;
    throw new ArchiveFormatError(why, { openFailed: true, cause: error });
  }
  try {
    const stat = await fh.stat();
    if (stat.isDirectory()) {
      throw new ArchiveFormatError("is a directory, not an archive file", { openFailed: true });
    }
    if (!stat.isFile()) throw new ArchiveFormatError("is not a regular file", { openFailed: true });
    return fh;
  } catch (error) {
    await fh.close();
    throw error;
  }
}

async function checkMagic(fh: FileHandle): Promise<void> {
  const magic = new Uint8Array(2);
  const { bytesRead } = await fh.read(magic, 0, 2, 0);
  if (bytesRead < 2 || magic[0] !== 0x1f || magic[1] !== 0x8b) {
    throw new ArchiveFormatError(
      bytesRead === 0
        ? "not a gzip tar archive (the file is empty)"
        : "not a gzip tar archive (no gzip signature)",
      { hint: "Give the .tar.gz written by repo-cloner archive create" },
    );
  }
}

async function* fileChunks(fh: FileHandle, options: GzipSourceOptions): AsyncGenerator<Uint8Array> {
  const input = fh.createReadStream({
    start: 0,
    highWaterMark: options.readChunk ?? 1 << 19,
    autoClose: false,
  });
  let read = 0;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      read += chunk.length;
      options.onRead?.(read);
      yield chunk;
    }
  } finally {
    input.destroy();
    await fh.close();
  }
}

async function* inflate(
  raw: AsyncGenerator<Uint8Array>,
  options: GzipSourceOptions,
): AsyncGenerator<Uint8Array> {
  let consumed = 0;
  const counted = (async function* () {
    for await (const chunk of raw) {
      consumed += chunk.length;
      yield chunk;
    }
  })();
  const input = Readable.from(counted, { objectMode: false });
  const gunzip = createGunzip({ chunkSize: options.inflateChunk ?? 1 << 17 });
  pipeline(input, gunzip, () => {
    // Errors reach the consumer through the gunzip stream it iterates.
  });
  try {
    try {
      for await (const chunk of gunzip) yield chunk as Uint8Array;
    } catch (error) {
      throw mapZlibError(error);
    }
    const trailing = consumed - gunzip.bytesWritten;
    if (trailing > 0) {
      throw new ArchiveFormatError(`${trailing} bytes of trailing data after the gzip stream`);
    }
  } finally {
    input.destroy();
    gunzip.destroy();
    await raw.return(undefined);
  }
}

function mapZlibError(error: unknown): unknown {
  if (error instanceof ArchiveFormatError) return error;
  const e = error as NodeJS.ErrnoException;
  if (e?.code === "Z_BUF_ERROR" || /unexpected end/i.test(String(e?.message))) {
    return new ArchiveFormatError("archive is truncated (the gzip stream ends early)", { cause: error });
  }
  if (e?.code === "Z_DATA_ERROR" && /incorrect header check/.test(String(e.message))) {
    // The first member's signature was checked before inflating, so this is a later "member".
    return new ArchiveFormatError("trailing data after the gzip stream (not a gzip member)", {
      cause: error,
    });
  }
  if (e?.code === "Z_DATA_ERROR") {
    const detail = /data check/.test(String(e.message)) ? "CRC mismatch" : String(e.message);
    return new ArchiveFormatError(`gzip data is corrupt (${detail})`, { cause: error });
  }
  return error;
}
