import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { ArchiveFormatError } from "./archive_format_error.ts";

/** An opened `.tar.gz`: its compressed size and its decompressed bytes as a stream of chunks. */
export interface GzipSource {
  /** Compressed size in bytes at open time. */
  size: number;
  /** Decompressed chunks; throws {@link ArchiveFormatError} for corrupt, truncated or trailing data. */
  chunks: AsyncGenerator<Uint8Array>;
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
 *
 * Throws {@link ArchiveFormatError} with `openFailed` when the path is missing or not a regular file.
 */
export async function openGzipFile(path: string, options: GzipSourceOptions = {}): Promise<GzipSource> {
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
    return { size: stat.size, chunks: inflate(fh, options) };
  } catch (error) {
    await fh.close();
    throw error;
  }
}

async function* inflate(fh: FileHandle, options: GzipSourceOptions): AsyncGenerator<Uint8Array> {
  const input = fh.createReadStream({
    start: 0,
    highWaterMark: options.readChunk ?? 1 << 19,
    autoClose: false,
  });
  const gunzip = createGunzip({ chunkSize: options.inflateChunk ?? 1 << 17 });
  if (options.onRead) {
    const onRead = options.onRead;
    input.on("data", () => onRead(input.bytesRead));
  }
  pipeline(input, gunzip, () => {
    // Errors reach the consumer through the gunzip stream it iterates.
  });
  try {
    try {
      for await (const chunk of gunzip) yield chunk as Uint8Array;
    } catch (error) {
      throw mapZlibError(error);
    }
    const trailing = input.bytesRead - gunzip.bytesWritten;
    if (trailing > 0) {
      throw new ArchiveFormatError(`${trailing} bytes of trailing data after the gzip stream`);
    }
  } finally {
    input.destroy();
    gunzip.destroy();
    await fh.close();
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
