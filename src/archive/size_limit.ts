import { ArchiveError } from "../errors.ts";

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
};

/**
 * Parses a size: a number of bytes, or text such as `500M`, `2G`, `1.5G`, `4GiB`, `4GB`. `K`, `M`, `G`,
 * `T` (and `KiB`…) are binary (1024-based), `KB`, `MB`, `GB`, `TB` decimal. `what` names the setting in
 * the error.
 * @throws TypeError for anything else, zero or negative.
 */
export function parseSize(value: string | number, what: string): number {
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value > 0) return value;
    throw new TypeError(`Cannot use ${what} ${value}: give a positive whole number of bytes or e.g. "2G"`);
  }
  const m = value.trim().match(/^(\d+(?:\.\d+)?)\s*([a-z]*)$/i);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  const bytes = m && unit ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new TypeError(
      `Cannot use ${what} "${value}": give a size such as 500M, 2G or 4GB (K/M/G/T binary, KB/MB/GB/TB decimal)`,
    );
  }
  return bytes;
}

/** `1.5 GiB`-style text for messages. */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${bytes} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

/** Thrown by the tar writer when the compressed output passes its limit; `createArchive` explains it. */
export class SizeLimitReached extends ArchiveError {
  constructor(readonly limit: number) {
    super(`Archive size exceeds limit (${formatSize(limit)})`);
  }
}

/**
 * The spec's "ArchiveError: Archive size exceeds limit" with what to do about it. `detail` says how
 * large the archive is known to be ("needs at least 2.3 GiB (its git bundle alone)").
 */
export function archiveTooLarge(info: { name: string; limit: number; detail: string }): ArchiveError {
  return new ArchiveError(
    `Archive creation failed: ArchiveError: Archive size exceeds limit: the archive of "${info.name}" ` +
      `${info.detail}. archive.max_size (--max-size) is ${formatSize(info.limit)}. ` +
      "Nothing was written. To carry it: create an incremental archive (--type incremental --base PREVIOUS), " +
      "cut the history (--depth N, or repositories[].shallow_clone_depth), or, when the limit is your " +
      "media's file size, write split volumes instead (--split-size 4G) and drop max_size",
  );
}
