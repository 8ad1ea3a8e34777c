/**
 * The one way we put a file on disk so that a crash never leaves a half-written file under its final
 * name: write a temporary `*.partial` name in the same directory, fsync it, rename (or link, when an
 * existing file must never be replaced) to the final name, then fsync the directory. After a crash at
 * any point only `*.partial` files can remain besides the old state.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { ArchiveError } from "../errors.ts";

/** Suffix of every file being written; a crash leaves only files with this suffix. */
export const PARTIAL_SUFFIX = ".partial";

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Mode of the new file. Default 0o644. */
  mode?: number;
  /** Replace an existing file. Default true. With false an existing file is never replaced, even in a race. */
  overwrite?: boolean;
  /** Create the parent directory when missing. Default false. */
  createDir?: boolean;
}

/**
 * fsyncs a file or a directory by path. For directories, filesystems that cannot fsync one (EINVAL,
 * EISDIR, EBADF) and directories that cannot be opened are tolerated: the rename is atomic anyway.
 * @throws Error from node:fs for a file that cannot be opened or synced.
 */
export function fsyncPath(path: string, options: { directory?: boolean } = {}): void {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    if (options.directory) return;
    throw e;
  }
  try {
    fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!options.directory || (code !== "EINVAL" && code !== "EISDIR" && code !== "EBADF")) throw e;
  } finally {
    closeSync(fd);
  }
}

/** fsyncs a directory so that a rename inside it survives a crash (see {@link fsyncPath}). */
export function fsyncDir(dir: string): void {
  fsyncPath(dir, { directory: true });
}

/**
 * Writes `data` to `path` atomically: `.<name>.<random>.partial` beside it (dot-led, so collectors that
 * read `*.prom` or `*.json` never see it), fsync, rename — or hard link + unlink when `overwrite` is
 * false — then fsync the directory. The temporary file is removed on failure.
 * @throws Error with `code` "EEXIST" when `overwrite` is false and `path` exists; other node:fs errors as is.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): void {
  const dir = dirname(path);
  if (options.createDir) mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}${PARTIAL_SUFFIX}`);
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const fd = openSync(tmp, "wx", options.mode ?? 0o644);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    removeQuietly(tmp);
    // write(2) errors carry no path; name the file the caller asked for.
    const e = error as NodeJS.ErrnoException;
    if (e && typeof e === "object" && e.path === undefined) e.path = path;
    throw error;
  }
  closeSync(fd);
  try {
    if (options.overwrite === false) {
      linkSync(tmp, path);
      unlinkSync(tmp);
    } else {
      renameSync(tmp, path);
    }
  } catch (error) {
    removeQuietly(tmp);
    throw error;
  }
  fsyncDir(dir);
}

/**
 * Gives the finished, fsynced `partial` its final name `final` without ever replacing an existing
 * file (hard link + unlink; a plain rename after an existence check where links are not supported,
 * e.g. FAT32 media), then fsyncs the directory so the name survives a crash.
 * @throws ArchiveError when `final` already exists.
 */
export function commitPartial(partial: string, final: string): void {
  const taken = () =>
    new ArchiveError(
      `Cannot write "${final}": a file with that name already exists. Move it away or choose another output`,
    );
  try {
    linkSync(partial, final);
    unlinkSync(partial);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw taken();
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "EXDEV") throw e;
    if (existsSync(final)) throw taken();
    renameSync(partial, final);
  }
  fsyncDir(dirname(final));
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
