import { join } from "node:path";
import { statSync } from "node:fs";
import { ensureAddedRepo, type RepoInfo } from "./gen_repo.ts";
import { median } from "./_measure.ts";
import { type CreateRun, oursCreate, oursVerify } from "./_sides.ts";

/** Options of {@link incrementalBench}. */
export interface IncrementalOptions {
  binary: string;
  /** The benchmark repository the full archive was made from. */
  base: RepoInfo;
  /** Our full archive of `base` and the runs that created it. */
  fullArchive: string;
  fullCreate: CreateRun[];
  /** `url` (file://) or `path`, as for the full archive. */
  sourceForm: string;
  runs: number;
  work: string;
  /** New commits on main. Default 100 (issue 7). */
  count?: number;
  log: (s: string) => void;
}

/**
 * Issue 7's figures: `archive create --type incremental --base FULL` on the benchmark repository plus
 * `count` new commits, compared with the full archive's size and creation time (median of the full runs).
 */
export async function incrementalBench(o: IncrementalOptions) {
  const count = o.count ?? 100;
  const added = await ensureAddedRepo(o.base, { count, log: o.log });
  const source = o.sourceForm === "url" ? `file://${added.path}` : added.path;
  const runs: CreateRun[] = [];
  for (let i = 0; i < o.runs; i++) {
    const r = await oursCreate(o.binary, source, join(o.work, `inc-${i}`), {
      keep: i === o.runs - 1,
      extra: ["--type", "incremental", "--base", o.fullArchive],
    });
    runs.push(r);
    o.log(`bench: incremental create run ${i + 1}/${o.runs}: ${r.wall.toFixed(2)} s, exit ${r.code}`);
    if (r.code !== 0) o.log(`bench:   ${r.stderrTail.replaceAll("\n", "\nbench:   ")}`);
  }
  const ok = runs.filter((r) => r.code === 0);
  const fullOk = o.fullCreate.filter((r) => r.code === 0);
  const last = runs.at(-1)?.archive;
  if (ok.length === 0 || fullOk.length === 0 || !last) {
    return { new_commits: count, failed: true, error: runs.at(-1)?.stderrTail ?? "no run" };
  }
  const chain = await oursVerify(o.binary, [o.fullArchive, last], join(o.work, "inc-verify.log"));
  const fullBytes = statSync(o.fullArchive).size;
  const incBytes = statSync(last).size;
  const incTime = median(ok.map((r) => r.wall));
  const fullTime = median(fullOk.map((r) => r.wall));
  return {
    new_commits: count,
    source,
    full_bytes: fullBytes,
    incremental_bytes: incBytes,
    size_ratio: Math.round((incBytes / fullBytes) * 10000) / 10000,
    full_create_median_s: Math.round(fullTime * 100) / 100,
    incremental_create_median_s: Math.round(incTime * 100) / 100,
    incremental_walls: ok.map((r) => Math.round(r.wall * 100) / 100),
    time_ratio: Math.round((incTime / fullTime) * 1000) / 1000,
    chain_verify: { wall_s: Math.round(chain.wall * 100) / 100, exit: chain.code, stderr: chain.stderrTail },
  };
}
