import { createHash } from "node:crypto";
import { UsageError } from "../errors.ts";

/** One shard of N: `index` is 1-based (`--shard 1/4` … `--shard 4/4`). */
export interface Shard {
  index: number;
  count: number;
}

/** Parses `K/N` with 1 ≤ K ≤ N. @throws UsageError with the accepted form. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UsageError(
      `Cannot use --shard "${text}": expected K/N with 1 <= K <= N, e.g. --shard 1/4. ` +
        "For a 0-based index (Kubernetes JOB_COMPLETION_INDEX) pass $((INDEX + 1))/N",
    );
  }
  return { index, count };
}

/**
 * The shard (1-based) a repository belongs to: sha256 of its full source path (lower-cased, with the
 * source host), as a number modulo N. Stable across runs, machines and repository order.
 */
export function shardOf(key: string, count: number): number {
  const digest = createHash("sha256").update(key.toLowerCase()).digest();
  return Number(digest.readBigUInt64BE(0) % BigInt(count)) + 1;
}

/** Keeps the items of `shard`; all of them when no shard is given. */
export function selectShard<T>(items: readonly T[], keyOf: (item: T) => string, shard?: Shard): T[] {
  if (!shard) return [...items];
  return items.filter((item) => shardOf(keyOf(item), shard.count) === shard.index);
}
