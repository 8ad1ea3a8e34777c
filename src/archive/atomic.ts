import { closeSync, existsSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import { ArchiveError } from "../errors.ts";

/** Suffix of every file being written; a crash leaves only files with this suffix. */
export const PARTIAL_SUFFIX = ".partial";

/** fsyncs a file or a directory by path. Filesystems that cannot fsync a directory are tolerated. */
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

/**
 * Gives the finished, fsynced `partial` its final name `final` without ever replacing an existing
 * file (hard link + unlink; a plain rename after an existence check where links are not supported,
 * e.g. FAT32 media), then fsyncs the directory so the name survives a crash.
 * @throws ArchiveError when `final` already exists.
 */
export function commitPartial(partial: string, final: string): void {
  try {
    linkSync(partial, final);
    unlinkSync(partial);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      throw new ArchiveError(
        `Cannot write "${final}": a file with that name already exists. Move it away or choose another output`,
      );
    }
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "EXDEV") throw e;
    if (existsSync(final)) {
      throw new ArchiveError(
        `Cannot write "${final}": a file with that name already exists. Move it away or choose another output`,
      );
    }
    renameSync(partial, final);
  }
  fsyncPath(dirname(final), { directory: true });
}
