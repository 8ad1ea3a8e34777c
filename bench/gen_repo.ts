/**
 * Deterministic benchmark repository generator (bench/README.md).
 *
 *   deno run -A bench/gen_repo.ts [--commits 20000] [--random-mb 240] [--branches 6] [--tag-every 500]
 *                                 [--seed 42] [--add N] [--out bench/out/repos]
 *
 * Streams a generated `git fast-import` file (text files changing in every commit plus seeded random
 * binary assets), repacks once, and caches the bare repository under `--out` keyed by its parameters,
 * so reruns reuse it. `--add N` also builds (and caches) a copy with N more commits on main. Prints the
 * repository path on stdout.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { FastImport } from "./_fast_import.ts";
import { Prng } from "./_prng.ts";
import { BINARY_RATE, RepoModel, TEXT_FILES } from "./_repo_model.ts";

/** Bump when the generated content changes, so old caches are not reused. */
export const GENERATOR_VERSION = 1;
const SIDE_BRANCHES = [
  "develop",
  "release/1.x",
  "release/2.x",
  "feature/données",
  "feature/search",
  "hotfix/urgent",
  "experimental",
];

/** Parameters of a benchmark repository; together they are its cache key. */
export interface RepoParams {
  /** Total commits over all branches. Default 20000. */
  commits: number;
  /** Total bytes of random (incompressible) assets in MiB, spread over ~10% of commits. Default 240. */
  randomMb: number;
  /** Branches including main (at most 8). Default 6. */
  branches: number;
  /** A tag every this many main commits, alternately annotated and lightweight. Default 500. */
  tagEvery: number;
  /** PRNG seed. Default 42. */
  seed: number;
}

/** What the generator reports about a repository (also cached as `<repo>.json`). */
export interface RepoInfo {
  path: string;
  params: RepoParams & { add?: number };
  generator_version: number;
  commits: number;
  refs: number;
  size_pack_bytes: number;
  random_bytes: number;
  head: string;
  build_seconds: number;
}

/** The default (issue 2) benchmark repository parameters. */
export const DEFAULT_PARAMS: RepoParams = {
  commits: 20000,
  randomMb: 240,
  branches: 6,
  tagEvery: 500,
  seed: 42,
};

function git(args: string[], options: { input?: string } = {}): string {
  const r = spawnSync("git", args, { encoding: "utf8", input: options.input, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`Cannot run "git ${args.join(" ")}": ${r.stderr || r.error}`);
  return r.stdout;
}

function keyOf(p: RepoParams): string {
  return `bench-c${p.commits}-r${p.randomMb}-b${p.branches}-t${p.tagEvery}-s${p.seed}-g${GENERATOR_VERSION}`;
}

function describe(path: string, params: RepoInfo["params"], randomBytes: number, started: number): RepoInfo {
  const counts = Object.fromEntries(
    git(["--git-dir", path, "count-objects", "-v"]).trim().split("\n").map((l) => l.split(": ")),
  );
  return {
    path,
    params,
    generator_version: GENERATOR_VERSION,
    commits: Number(git(["--git-dir", path, "rev-list", "--all", "--count"]).trim()),
    refs: git(["--git-dir", path, "for-each-ref"]).trim().split("\n").length,
    size_pack_bytes: Number(counts["size-pack"]) * 1024,
    random_bytes: randomBytes,
    head: git(["--git-dir", path, "rev-parse", "HEAD"]).trim(),
    build_seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

function cached(path: string): RepoInfo | null {
  if (!existsSync(path) || !existsSync(`${path}.json`)) return null;
  return JSON.parse(readFileSync(`${path}.json`, "utf8")) as RepoInfo;
}

function publish(tmp: string, path: string, info: RepoInfo): RepoInfo {
  rmSync(path, { recursive: true, force: true });
  renameSync(tmp, path);
  const final = { ...info, path };
  writeFileSync(`${path}.json`, JSON.stringify(final, null, 2) + "\n");
  return final;
}

/** Builds (or reuses from `outDir`) the benchmark repository for `params`. */
export async function ensureBenchRepo(
  params: RepoParams,
  options: { outDir: string; log?: (s: string) => void },
) {
  const path = resolve(options.outDir, `${keyOf(params)}.git`);
  const hit = cached(path);
  if (hit) return hit;
  const log = options.log ?? ((s: string) => console.error(s));
  log(`gen_repo: building ${path} (${params.commits} commits, ${params.randomMb} MiB random assets)`);
  const started = performance.now();
  const tmp = `${path}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  git(["init", "--bare", "-q", "-b", "main", tmp]);
  git(["--git-dir", tmp, "config", "gc.auto", "0"]);
  const binaryMean = (params.randomMb * 1048576) / (params.commits * BINARY_RATE);
  const model = new RepoModel({ seed: params.seed, binaryMean });
  const schedule = new Prng(params.seed, 0xb4a);
  const side = SIDE_BRANCHES.slice(0, Math.max(0, Math.min(params.branches, 8) - 1));
  const forkAt = side.map((_, b) => Math.floor((params.commits * 0.9 * (b + 1)) / (side.length + 1)));
  const out = new FastImport(tmp);
  model.initBranch("main");
  let mainTip = await model.commit(out, "main", 0, { initial: true });
  let mainCount = 1;
  let tags = 0;
  const active: string[] = [];
  for (let i = 1; i < params.commits; i++) {
    while (active.length < side.length && i >= forkAt[active.length]) {
      model.fork(side[active.length], "main", mainTip);
      active.push(side[active.length]);
    }
    const onSide = active.length > 0 && schedule.float() < Math.min(0.35, 0.05 * active.length);
    const branch = onSide ? schedule.pick(active) : "main";
    const mark = await model.commit(out, branch, i);
    if (branch !== "main") continue;
    mainTip = mark;
    if (++mainCount % params.tagEvery === 0) {
      await model.tag(out, `v${Math.floor(tags / 10)}.${tags % 10}.0`, mark, tags % 2 === 0, i);
      tags++;
    }
    if (i % 2000 === 0) log(`gen_repo: ${i}/${params.commits} commits`);
  }
  await out.finish();
  log(`gen_repo: imported in ${((performance.now() - started) / 1000).toFixed(1)} s; repacking`);
  // Random assets never delta: say so, so that the one full repack spends its time on text history.
  writeFileSync(`${tmp}/info/attributes`, "*.bin -delta\n");
  git(["--git-dir", tmp, "repack", "-a", "-d", "-f", "-q", "--window=10", "--depth=50"]);
  rmSync(`${tmp}/info/attributes`);
  git(["--git-dir", tmp, "pack-refs", "--all"]);
  git(["--git-dir", tmp, "commit-graph", "write", "--reachable"]);
  const info = publish(tmp, path, describe(tmp, params, model.randomBytes, started));
  log(
    `gen_repo: done in ${info.build_seconds} s: ${info.commits} commits, pack ${mib(info.size_pack_bytes)}`,
  );
  return info;
}

/**
 * Builds (or reuses) a copy of `base` with `count` more commits on main (issue 7's incremental bench):
 * objects hardlinked from the base, the new commits in one new pack, a lightweight tag at the new tip.
 * Its path is `<base without .git>-addN/<base name>`, so both carry the same repository name.
 */
export async function ensureAddedRepo(base: RepoInfo, options: { count: number; log?: (s: string) => void }) {
  // Same repository name as the base (a directory per variant), so an incremental archive of it
  // names the same repository as the base's full archive.
  const path = join(base.path.replace(/\.git$/, `-add${options.count}`), basename(base.path));
  mkdirSync(dirname(path), { recursive: true });
  const hit = cached(path);
  if (hit) return hit;
  const log = options.log ?? ((s: string) => console.error(s));
  log(`gen_repo: adding ${options.count} commits on main into ${path}`);
  const started = performance.now();
  const tmp = `${path}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  git(["clone", "--mirror", "-q", base.path, tmp]);
  git(["--git-dir", tmp, "remote", "remove", "origin"]);
  const entries = git(["--git-dir", tmp, "ls-tree", "-r", "-z", "main"]).split("\0").filter(Boolean)
    .map((l) => ({ sha: l.split(/\s/)[2], path: l.slice(l.indexOf("\t") + 1) }));
  const textEntries = entries.filter((e) => e.path.startsWith("src/"));
  const blobs = git(["--git-dir", tmp, "cat-file", "--batch"], {
    input: textEntries.map((e) => e.sha).join("\n") + "\n",
  });
  const text = new Map<string, string[]>();
  let at = 0;
  for (const e of textEntries) {
    const headerEnd = blobs.indexOf("\n", at);
    const size = Number(blobs.slice(at, headerEnd).split(" ")[2]);
    // Text files are ASCII, so characters equal bytes here.
    text.set(e.path, blobs.slice(headerEnd + 1, headerEnd + 1 + size).replace(/\n$/, "").split("\n"));
    at = headerEnd + 1 + size + 1;
  }
  if (text.size !== TEXT_FILES) {
    throw new Error(`Cannot add commits: expected ${TEXT_FILES} text files on main`);
  }
  const p = base.params;
  const model = new RepoModel({
    seed: p.seed ^ 0xadd,
    binaryMean: (p.randomMb * 1048576) / (p.commits * BINARY_RATE),
    binaryIdBase: 1_000_000,
  });
  const binaries = entries.filter((e) => e.path.startsWith("assets/")).map((e) => e.path);
  const tip = git(["--git-dir", tmp, "rev-parse", "refs/heads/main"]).trim();
  model.adoptBranch("main", { text, binaries, from: tip });
  const out = new FastImport(tmp);
  let mark = 0;
  for (let j = 0; j < options.count; j++) mark = await model.commit(out, "main", p.commits + j);
  await model.tag(out, `bench-add-${options.count}`, mark, false, p.commits + options.count);
  await out.finish();
  git(["--git-dir", tmp, "pack-refs", "--all"]);
  const info = publish(tmp, path, describe(tmp, { ...p, add: options.count }, model.randomBytes, started));
  log(
    `gen_repo: done in ${info.build_seconds} s: ${info.commits} commits, pack ${mib(info.size_pack_bytes)}`,
  );
  return info;
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      commits: { type: "string" },
      "random-mb": { type: "string" },
      branches: { type: "string" },
      "tag-every": { type: "string" },
      seed: { type: "string" },
      add: { type: "string" },
      out: { type: "string", default: "bench/out/repos" },
    },
  });
  const num = (v: string | undefined, d: number) => (v === undefined ? d : Number(v));
  const params: RepoParams = {
    commits: num(values.commits, DEFAULT_PARAMS.commits),
    randomMb: num(values["random-mb"], DEFAULT_PARAMS.randomMb),
    branches: num(values.branches, DEFAULT_PARAMS.branches),
    tagEvery: num(values["tag-every"], DEFAULT_PARAMS.tagEvery),
    seed: num(values.seed, DEFAULT_PARAMS.seed),
  };
  for (const [k, v] of Object.entries(params)) {
    if (!Number.isInteger(v) || v < 1) {
      throw new TypeError(`Cannot generate: --${k} must be a positive integer`);
    }
  }
  let info = await ensureBenchRepo(params, { outDir: values.out });
  if (values.add !== undefined) info = await ensureAddedRepo(info, { count: num(values.add, 100) });
  console.log(info.path);
}
