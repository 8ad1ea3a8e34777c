import { ArchiveFormatError } from "./archive_format_error.ts";
import { collisionKey, entryPathProblem } from "./entry_path.ts";

/**
 * A strict streaming reader for POSIX ustar/pax tar streams (docs/ARCHIVE-FORMAT.md, "Tar flavour").
 *
 * Written for archives we did not make and do not trust: only regular files and directories; every
 * other entry kind (links, devices, FIFOs, contiguous files, GNU and global pax headers) is refused by
 * name; header checksums, numeric fields and pax records are parsed strictly; each path passes
 * {@link entryPathProblem} and appears once (also across case and Unicode normalisation); the
 * end-of-archive marker must be present and only zero bytes may follow it. Entry bodies are yielded as
 * the chunks that arrive; nothing is ever allocated from a size a header claims.
 */

/** One entry, yielded before its body is read so the caller can refuse it by header alone. */
export interface TarEntry {
  /** Validated relative path (no trailing slash for directories). */
  path: string;
  type: "file" | "directory";
  /** Body size in bytes (0 for directories). */
  size: number;
  /** Permission bits from the header (already masked to 0o7777). */
  mode: number;
  /** Offset in the tar stream of the entry's first header block (its pax header, if any). */
  headerOffset: number;
  /** The body as chunks, in order; call at most once. Unread bytes are skipped by the next entry. */
  body(): AsyncGenerator<Uint8Array>;
}

/** The largest size an 11-digit octal header field holds (8 GiB - 1). */
const MAX_OCTAL_SIZE = 0o77777777777;

/** Largest pax extended header accepted (ours hold one path and maybe a size). */
export const MAX_PAX_BYTES = 64 * 1024;

const BLOCK = 512;
const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder("utf-8", { fatal: false });
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

const REFUSED_TYPES: Record<string, string> = {
  "1": "a hard link",
  "2": "a symbolic link",
  "3": "a character device",
  "4": "a block device",
  "6": "a FIFO",
  "7": "a contiguous file",
  "g": "a pax global header",
  "L": "a GNU long-name header",
  "K": "a GNU long-link header",
  "S": "a GNU sparse file",
  "V": "a volume label",
  "M": "a multi-volume continuation",
  "D": "a GNU dump directory",
  "N": "an old GNU long-name header",
};

/**
 * Reads entries from a decompressed tar stream. Throws {@link ArchiveFormatError} on the first
 * problem; the generator's `return()` stops reading and releases `source`.
 */
export async function* readTarEntries(source: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntry> {
  const reader = new ChunkReader(source);
  const seen = new Map<string, string>();
  let pending = 0; // unread body of the previous entry
  let pendingPad = 0; // its padding, which must be zero bytes
  let pendingWhat = "an entry body";
  let current = 0;
  try {
    while (true) {
      await reader.skip(pending, pendingWhat);
      await reader.skipZeros(pendingPad, pendingWhat);
      pending = 0;
      pendingPad = 0;
      current++;
      const headerOffset = reader.offset;
      let block = await reader.readExact(BLOCK);
      if (block === undefined) {
        throw new ArchiveFormatError("tar stream ends without an end-of-archive marker (truncated archive)");
      }
      if (isZero(block)) {
        await readEndOfArchive(reader);
        return;
      }
      let header = parseHeader(block, headerOffset);
      let pax: Map<string, string> | undefined;
      if (header.typeflag === "x") {
        if (header.size > MAX_PAX_BYTES) {
          throw new ArchiveFormatError(
            `pax header at byte ${headerOffset} claims ${header.size} bytes (limit ${MAX_PAX_BYTES})`,
          );
        }
        const data = await reader.readExact(header.size);
        if (data === undefined) throw truncated("a pax header");
        pax = parsePax(data, headerOffset);
        await reader.skipZeros(padding(header.size), "a pax header");
        const at = reader.offset;
        block = await reader.readExact(BLOCK);
        if (block === undefined) throw truncated("a pax header");
        if (isZero(block)) {
          throw new ArchiveFormatError(`pax header at byte ${headerOffset} is not followed by an entry`);
        }
        header = parseHeader(block, at);
        if (header.typeflag === "x") throw new ArchiveFormatError(`two pax headers in a row at byte ${at}`);
      }
      const rawName = pax?.get("path") ?? header.name;
      const shown = JSON.stringify(rawName);
      const refused = REFUSED_TYPES[header.typeflag];
      if (refused) {
        const target = header.linkname ? ` to ${JSON.stringify(header.linkname)}` : "";
        throw new ArchiveFormatError(
          `entry ${shown} is ${refused}${target} (only regular files are allowed)`,
          { entry: rawName },
        );
      }
      const isFile = header.typeflag === "0" || header.typeflag === "\0";
      const isDir = header.typeflag === "5";
      if (!isFile && !isDir) {
        throw new ArchiveFormatError(
          `entry ${shown} has unknown tar type ${
            JSON.stringify(header.typeflag)
          } (only regular files are allowed)`,
          { entry: rawName },
        );
      }
      const size = pax?.has("size") ? paxSize(pax.get("size")!, shown) : header.size;
      // A pax size overrides the header only where the header cannot hold it (0 or the octal maximum);
      // two sizes that disagree would let two readers see two different archives.
      if (pax?.has("size") && size !== header.size && header.size !== 0 && header.size !== MAX_OCTAL_SIZE) {
        throw new ArchiveFormatError(
          `entry ${shown} has a pax size (${size}) that disagrees with its header size (${header.size})`,
          { entry: rawName },
        );
      }
      let path = rawName;
      if (isDir && path.endsWith("/")) path = path.slice(0, -1);
      if (isFile && path.endsWith("/")) {
        throw new ArchiveFormatError(`entry ${shown} is a regular file with a directory name`, {
          entry: rawName,
        });
      }
      const problem = entryPathProblem(path);
      if (problem) {
        throw new ArchiveFormatError(`entry ${shown} has an unsafe path: ${problem}`, { entry: rawName });
      }
      if (isDir && size !== 0) {
        throw new ArchiveFormatError(`directory entry ${shown} claims ${size} bytes of data`, {
          entry: path,
        });
      }
      const key = collisionKey(path);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        throw new ArchiveFormatError(
          earlier === path
            ? `entry ${shown} appears more than once`
            : `entry ${shown} collides with ${
              JSON.stringify(earlier)
            } (same name ignoring case or Unicode form)`,
          { entry: path },
        );
      }
      seen.set(key, path);

      let remaining = size;
      pending = size;
      pendingPad = padding(size);
      pendingWhat = `entry ${shown}`;
      const index = current;
      let taken = false;
      yield {
        path,
        type: isFile ? "file" : "directory",
        size,
        mode: header.mode & 0o7777,
        headerOffset,
        async *body() {
          if (taken || index !== current) throw new Error(`body of "${path}" read twice or out of order`);
          taken = true;
          while (remaining > 0) {
            const chunk = await reader.next(remaining);
            if (chunk === undefined) throw truncated(`entry ${shown}`, path);
            remaining -= chunk.length;
            pending -= chunk.length;
            yield chunk;
          }
        },
      };
    }
  } finally {
    await reader.close();
  }
}

interface Header {
  name: string;
  mode: number;
  size: number;
  typeflag: string;
  linkname: string;
}

function parseHeader(b: Uint8Array, offset: number): Header {
  const stored = parseChecksum(b.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : b[i];
  if (stored !== sum) {
    throw new ArchiveFormatError(
      `tar header at byte ${offset} has a bad checksum (corrupt data, or not a tar archive)`,
    );
  }
  const magic = ascii(b.subarray(257, 265));
  if (magic !== "ustar\u000000") {
    const kind = magic === "ustar  \u0000" ? "a GNU tar header" : "not a POSIX ustar header";
    throw new ArchiveFormatError(`tar header at byte ${offset} is ${kind} (only POSIX ustar/pax is allowed)`);
  }
  const name = field(b, 0, 100);
  const prefix = field(b, 345, 155);
  const mode = parseNumber(b.subarray(100, 108));
  const size = parseNumber(b.subarray(124, 136));
  const full = prefix ? `${prefix}/${name}` : name;
  if (mode === undefined || size === undefined) {
    throw new ArchiveFormatError(`tar header of ${JSON.stringify(full)} has a malformed numeric field`, {
      entry: full,
    });
  }
  return { name: full, mode, size, typeflag: String.fromCharCode(b[156]), linkname: field(b, 157, 100) };
}

/**
 * The checksum field exactly as POSIX writers emit it: six octal digits, then NUL and space in either
 * order. Being strict here matters: the field is the one part of a header its own checksum cannot cover.
 */
function parseChecksum(f: Uint8Array): number | undefined {
  const tail = (f[6] === 0 && f[7] === 0x20) || (f[6] === 0x20 && f[7] === 0);
  if (!tail) return undefined;
  let v = 0;
  for (let i = 0; i < 6; i++) {
    if (f[i] < 0x30 || f[i] > 0x37) return undefined;
    v = v * 8 + (f[i] - 0x30);
  }
  return v;
}

/** Octal (leading spaces, NUL/space terminated) or positive base-256; undefined when malformed. */
function parseNumber(f: Uint8Array): number | undefined {
  if (f[0] === 0x80) {
    let v = 0;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i];
    return Number.isSafeInteger(v) ? v : undefined;
  }
  let i = 0;
  while (i < f.length && f[i] === 0x20) i++;
  let v = 0;
  let digits = 0;
  for (; i < f.length && f[i] >= 0x30 && f[i] <= 0x37; i++, digits++) v = v * 8 + (f[i] - 0x30);
  for (; i < f.length; i++) if (f[i] !== 0 && f[i] !== 0x20) return undefined;
  return digits === 0 ? (f.every((x) => x === 0 || x === 0x20) ? 0 : undefined) : v;
}

function parsePax(data: Uint8Array, offset: number): Map<string, string> {
  const out = new Map<string, string>();
  const bad = (why: string) => new ArchiveFormatError(`pax header at byte ${offset} is malformed: ${why}`);
  let pos = 0;
  while (pos < data.length) {
    let sp = pos;
    while (sp < data.length && sp - pos < 8 && data[sp] >= 0x30 && data[sp] <= 0x39) sp++;
    if (sp === pos || data[sp] !== 0x20) throw bad("bad record length");
    const len = Number(ascii(data.subarray(pos, sp)));
    if (len < sp - pos + 4 || pos + len > data.length || data[pos + len - 1] !== 0x0a) {
      throw bad("bad record length");
    }
    let record: string;
    try {
      record = utf8Strict.decode(data.subarray(sp + 1, pos + len - 1));
    } catch {
      throw bad("record is not valid UTF-8");
    }
    const eq = record.indexOf("=");
    if (eq <= 0) throw bad("record without a key");
    const key = record.slice(0, eq);
    if (out.has(key)) throw bad(`duplicate key "${key}"`);
    const value = record.slice(eq + 1);
    // Only records that change what an entry is; anything else is bytes no check would cover.
    if (key !== "path" && key !== "size") {
      throw bad(`unsupported key ${JSON.stringify(key)} (allowed: path, size)`);
    }
    out.set(key, value);
    pos += len;
  }
  return out;
}

function paxSize(value: string, shown: string): number {
  const n = /^[0-9]{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new ArchiveFormatError(`entry ${shown} has a malformed pax size`);
  return n;
}

async function readEndOfArchive(reader: ChunkReader): Promise<void> {
  const second = await reader.readExact(BLOCK);
  if (second === undefined || !isZero(second)) {
    throw new ArchiveFormatError(
      second === undefined
        ? "tar end-of-archive marker is incomplete (truncated archive)"
        : `data after a zero block at byte ${
          reader.offset - 2 * BLOCK
        } (a lone zero block inside the archive)`,
    );
  }
  for (let chunk = await reader.next(1 << 20); chunk; chunk = await reader.next(1 << 20)) {
    if (!isZero(chunk)) throw new ArchiveFormatError("data after the tar end-of-archive marker");
  }
}

function truncated(what: string, entry?: string): ArchiveFormatError {
  return new ArchiveFormatError(`archive is truncated inside ${what}`, { entry });
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function field(b: Uint8Array, start: number, length: number): string {
  const end = b.subarray(start, start + length).indexOf(0);
  return utf8.decode(b.subarray(start, end === -1 ? start + length : start + end));
}

function ascii(b: Uint8Array): string {
  return String.fromCharCode(...b);
}

/** Pulls exact byte counts or bounded pieces out of a chunk stream; tracks the stream offset. */
class ChunkReader {
  #it: AsyncIterator<Uint8Array>;
  #buf: Uint8Array = EMPTY;
  #pos = 0;
  #ended = false;
  /** Bytes consumed so far. */
  offset = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#it = source[Symbol.asyncIterator]();
  }

  async #fill(): Promise<boolean> {
    while (this.#pos >= this.#buf.length) {
      if (this.#ended) return false;
      const r = await this.#it.next();
      if (r.done) {
        this.#ended = true;
        return false;
      }
      this.#buf = r.value;
      this.#pos = 0;
    }
    return true;
  }

  /** The next piece of at most `max` bytes, or undefined at the end of the stream. */
  async next(max: number): Promise<Uint8Array | undefined> {
    if (!(await this.#fill())) return undefined;
    const take = Math.min(max, this.#buf.length - this.#pos);
    const out = this.#buf.subarray(this.#pos, this.#pos + take);
    this.#pos += take;
    this.offset += take;
    return out;
  }

  /** Exactly `n` bytes; undefined when the stream ends first (nothing at all, or part of them). */
  async readExact(n: number): Promise<Uint8Array | undefined> {
    const first = await this.next(n);
    if (first === undefined) return n === 0 ? EMPTY : undefined;
    if (first.length === n) return first;
    const out = new Uint8Array(n);
    out.set(first);
    let got = first.length;
    while (got < n) {
      const piece = await this.next(n - got);
      if (piece === undefined) return undefined;
      out.set(piece, got);
      got += piece.length;
    }
    return out;
  }

  /** Skips `n` bytes; throws when the stream ends first. */
  async skip(n: number, what: string): Promise<void> {
    while (n > 0) {
      const piece = await this.next(n);
      if (piece === undefined) throw truncated(what);
      n -= piece.length;
    }
  }

  /** Skips `n` bytes that must all be zero (tar padding); throws otherwise or when the stream ends. */
  async skipZeros(n: number, what: string): Promise<void> {
    while (n > 0) {
      const piece = await this.next(n);
      if (piece === undefined) throw truncated(what);
      if (!isZero(piece)) throw new ArchiveFormatError(`non-zero tar padding after ${what}`);
      n -= piece.length;
    }
  }

  async close(): Promise<void> {
    if (!this.#ended) await this.#it.return?.();
  }
}
