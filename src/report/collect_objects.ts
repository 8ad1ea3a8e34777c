import { GitError } from "../git/git.ts";
import type { LfsObject } from "../git/lfs.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { gitPipe, gitRecords } from "./_git_stream.ts";
import { clip } from "./collect_history.ts";
import { collectTipBinaries } from "./collect_tip_binaries.ts";
import type { ReviewData } from "./review_schema.ts";

/** Options of {@link collectObjects}. */
export interface CollectObjectsOptions {
  /** Largest blobs and LFS objects listed. Default 25. */
  largest?: number;
  /** Binary files listed (the total is exact). Default 200. */
  binaryFiles?: number;
  /**
   * Full archive: look for binary files among the files at these tip commits (report order) rather
   * than in every commit of the history. Default: in the new commits (`revisions.commits`).
   */
  binaryAtTips?: string[];
  logger?: ModuleLogger;
  signal?: AbortSignal;
}

/** What {@link collectObjects} returns: the `objects`, `binary_files` and `lfs` parts of review.json. */
export type ObjectsResult = Pick<ReviewData, "objects" | "binary_files" | "lfs">;

/**
 * Scans the blobs the new commits bring (`git rev-list --objects <revisions> | git cat-file
 * --batch-check`: count, bytes, the largest with a path), the files git itself calls binary, and the
 * largest LFS objects carried. Binary files (git's test: a NUL in the first 8000 bytes, or a
 * `binary`/`-diff` attribute): with `options.binaryAtTips` (full archives), the files at those tip
 * commits (`collectTipBinaries`: one read of the files at the tips, however long the history);
 * otherwise those added or changed by the new commits (`git log --numstat` prints `-	-` for them).
 * @param revisions `git rev-list --stdin` lines (tips and `^base` exclusions) selecting the new objects
 *   and the new commits (see `collectHistory`); empty means nothing new.
 * @throws GitError when git fails.
 */
export async function collectObjects(
  gitDir: string,
  revisions: { objects: string[]; commits: string[] },
  lfs: LfsObject[],
  options: CollectObjectsOptions = {},
): Promise<ObjectsResult> {
  const largestN = options.largest ?? 25;
  const binaryN = options.binaryFiles ?? 200;
  const ctx = { cwd: gitDir, logger: options.logger, signal: options.signal };
  const objects: ReviewData["objects"] = { blobs: 0, blob_bytes: 0, largest: [] };
  let binary: ReviewData["binary_files"] = { scope: "commits", total: 0, files: [] };
  if (revisions.objects.length) {
    const scan = (filter: string[]) => {
      Object.assign(objects, { blobs: 0, blob_bytes: 0, largest: [] });
      return gitPipe(
        ["rev-list", "--objects", ...filter, "--stdin"],
        ["cat-file", "--batch-check=%(objecttype) %(objectsize) %(objectname) %(rest)"],
        (line) => {
          const m = /^blob (\d+) ([0-9a-f]{40,64}) ?(.*)$/s.exec(line);
          if (!m) return;
          const size = Number(m[1]);
          objects.blobs++;
          objects.blob_bytes += size;
          keepLargest(objects.largest, { path: clip(m[3]), oid: m[2], size }, largestN);
        },
        { ...ctx, input: revisions.objects },
      );
    };
    // Trees are walked but not listed (a third of the lines for a typical history); git before 2.32
    // does not know the filter.
    await scan(["--filter=object:type=blob"]).catch((e) => {
      if (e instanceof GitError && /filter/i.test(e.stderr)) return scan([]);
      throw e;
    });
  }
  if (options.binaryAtTips) {
    const atTips = await collectTipBinaries(gitDir, options.binaryAtTips, { ...ctx, limit: binaryN });
    binary = { scope: "tips", ...atTips };
  } else if (revisions.commits.length) {
    const seen = new Set<string>();
    let commit = "";
    await gitRecords(
      ["log", "--diff-filter=AMT", "--numstat", "-z", "--no-renames", "--format=%x01%H", "--stdin"],
      (raw) => {
        const record = raw.startsWith("\n") ? raw.slice(1) : raw;
        if (record.startsWith("\x01")) {
          commit = record.slice(1).trim();
          return;
        }
        const m = /^-\t-\t(.*)$/s.exec(record);
        if (!m || seen.has(m[1])) return;
        seen.add(m[1]);
        binary.total++;
        if (binary.files.length < binaryN) binary.files.push({ path: clip(m[1]), commit });
      },
      { ...ctx, input: revisions.commits, separator: "\0" },
    );
  }
  const lfsLargest: ReviewData["lfs"]["largest"] = [];
  for (const o of lfs) keepLargest(lfsLargest, { oid: o.oid, size: o.size }, largestN);
  return {
    objects,
    binary_files: binary,
    lfs: { objects: lfs.length, bytes: lfs.reduce((n, o) => n + o.size, 0), largest: lfsLargest },
  };
}

/** Inserts `item` into `list` (kept sorted by size, descending) when it is among the `n` largest. */
function keepLargest<T extends { size: number }>(list: T[], item: T, n: number): void {
  if (n <= 0 || (list.length >= n && item.size <= list[list.length - 1].size)) return;
  let i = list.length;
  while (i > 0 && list[i - 1].size < item.size) i--;
  list.splice(i, 0, item);
  if (list.length > n) list.pop();
}
