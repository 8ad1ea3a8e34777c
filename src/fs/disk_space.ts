/**
 * Free-space checks before work that would not fit, so a create or restore fails at once with a clear
 * message instead of half-way with ENOSPC. Estimates are deliberately generous (×1.1 and ×2).
 */
import { statfsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { RepoClonerError } from "../errors.ts";

/** Not enough free space for the planned work. Exit 1, error type `DiskFull`. */
export class DiskSpaceError extends RepoClonerError {
  readonly path: string;
  readonly neededBytes: number;
  readonly availableBytes: number;
  constructor(message: string, options: { path: string; neededBytes: number; availableBytes: number }) {
    super(message, { errorType: "DiskFull" });
    this.path = options.path;
    this.neededBytes = options.neededBytes;
    this.availableBytes = options.availableBytes;
  }
}

/**
 * Bytes available to this user on the filesystem holding `path` (its nearest existing ancestor when
 * `path` does not exist yet). Undefined when the platform cannot tell.
 */
export function freeBytes(path: string): number | undefined {
  let at = resolve(path);
  for (let i = 0; i < 4096; i++) {
    try {
      const s = statfsSync(at);
      return Number(s.bavail) * Number(s.bsize);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") return undefined;
      const up = dirname(at);
      if (up === at) return undefined;
      at = up;
    }
  }
  return undefined;
}

/** Space a new archive needs beside its staged content: the content's size × 1.1 (gzip rarely grows data). */
export function archiveSpaceEstimate(contentBytes: number): number {
  return Math.ceil(contentBytes * 1.1);
}

/** Space a restore needs before the manifest is read: the archive × 2 (staging plus the repository). */
export function restoreSpaceEstimate(archiveBytes: number): number {
  return archiveBytes * 2;
}

/**
 * Throws when the filesystem holding `path` has less than `neededBytes` free. Does nothing when the
 * platform cannot tell the free space.
 * @throws {DiskSpaceError} naming the path and both byte counts.
 */
export function assertFreeSpace(path: string, neededBytes: number, options: { action: string }): void {
  const available = freeBytes(path);
  if (available === undefined || available >= neededBytes) return;
  throw new DiskSpaceError(
    `Cannot ${options.action}: not enough free space in "${path}" (needs about ${neededBytes} bytes, ` +
      `${available} available). Free some space or choose another directory`,
    { path, neededBytes, availableBytes: available },
  );
}
