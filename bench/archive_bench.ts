/**
 * Archive benchmark (issue 2; `--incremental` adds issue 7's figures). Run through `deno task bench`
 * (scripts/bench.sh), which builds the binary and installs GNU time first. See bench/README.md.
 *
 *   deno run -A bench/archive_bench.ts [--smoke] [--runs 3] [--drop-caches] [--source url|path]
 *        [--binary dist/repo-cloner] [--commits N] [--random-mb M] [--incremental] [--no-memory] [--strict]
 *        [--no-sha-ni] [--label NAME] [--archive FILE (verify only)] [--nice=N]
 *
 * Each comparison runs both sides in the same process, alternating (A B, B A, …), on the same source and
 * disk, and reports medians and ratios. Writes bench/out/results.json (results-<label>.json with --label,
 * results-smoke.json in smoke mode).
 */
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_PARAMS, ensureBenchRepo, type RepoParams } from "./gen_repo.ts";
import { memoryProfile, type Sample, setNiceness, settle } from "./_measure.ts";
import { type CreateRun, oursCreate, oursVerify, PIPELINE, shaVerify, shellCreate } from "./_sides.ts";
import { renderTable, type Results, summarize, TARGETS } from "./_report.ts";
import { incrementalBench } from "./_incremental.ts";

const root = resolve(import.meta.dirname ?? ".", "..");
const { values: opt } = parseArgs({
  args: process.argv.slice(2),
  options: {
    smoke: { type: "boolean", default: false },
    runs: { type: "string" },
    "drop-caches": { type: "boolean", default: false },
    source: { type: "string", default: "path" },
    binary: { type: "string", default: join(root, "dist/repo-cloner") },
    commits: { type: "string" },
    "random-mb": { type: "string" },
    incremental: { type: "boolean", default: false },
    "no-memory": { type: "boolean", default: false },
    strict: { type: "boolean", default: false },
    "no-sha-ni": { type: "boolean", default: false },
    label: { type: "string" },
    archive: { type: "string" },
    nice: { type: "string" },
    out: { type: "string", default: join(root, "bench/out") },
  },
});

const smoke = opt.smoke;
const runs = Number(opt.runs ?? (smoke ? 1 : 3));
if (!Number.isInteger(runs) || runs < 1) throw new TypeError("Cannot run the benchmark: --runs must be >= 1");
if (opt.source !== "url" && opt.source !== "path") throw new TypeError("Cannot run: --source is url or path");
const given = resolve(opt.binary);
if (!existsSync(given)) {
  throw new Error(`Cannot run the benchmark: "${given}" is missing. Run scripts/compile.sh.`);
}
const base: RepoParams = smoke
  ? { commits: 300, randomMb: 4, branches: 4, tagEvery: 50, seed: 7 }
  : DEFAULT_PARAMS;
const params: RepoParams = {
  ...base,
  commits: Number(opt.commits ?? base.commits),
  randomMb: Number(opt["random-mb"] ?? base.randomMb),
};
if (opt["no-sha-ni"]) {
  // Emulates a CPU without the SHA extensions for OpenSSL/BoringSSL (our binary's node:crypto);
  // sha256sum and git use their own portable code and never used them.
  process.env.OPENSSL_ia32cap = ":~0x20000000";
}
if (opt.nice !== undefined) {
  const n = Number(opt.nice);
  if (!Number.isInteger(n) || n < -20 || n > 19) throw new TypeError("Cannot run: --nice takes -20..19");
  setNiceness(n);
}
const outDir = resolve(opt.out);
const work = join(outDir, "work");
mkdirSync(work, { recursive: true });
// A private copy: others rebuild dist/repo-cloner at any time, and every run must use the same binary.
const binaryBytes = readFileSync(given);
const binarySha256 = createHash("sha256").update(binaryBytes).digest("hex");
const binary = join(work, `repo-cloner-${binarySha256.slice(0, 12)}`);
for (const name of readdirSync(work)) {
  if (name.startsWith("repo-cloner-") && join(work, name) !== binary) {
    rmSync(join(work, name), { force: true });
  }
}
if (!existsSync(binary)) {
  writeFileSync(`${binary}.partial`, binaryBytes, { mode: 0o755 });
  renameSync(`${binary}.partial`, binary);
}
const log = (s: string) => console.error(s);

const load0 = loadavg();
const repo = await ensureBenchRepo(params, { outDir: join(outDir, "repos"), log });
const source = opt.source === "url" ? `file://${repo.path}` : repo.path;
log(
  `bench: source ${source} (${repo.commits} commits, pack ${
    (repo.size_pack_bytes / 1048576).toFixed(1)
  } MiB)`,
);

// (a) create: shell pipeline vs ours, alternating; the last archive of ours is kept for verify.
const shell: CreateRun[] = [];
const ours: CreateRun[] = [];
// `--archive FILE` skips this part and compares verify on that archive only.
for (let i = 0; i < (opt.archive ? 0 : runs); i++) {
  const order = i % 2 === 0 ? ["shell", "ours"] : ["ours", "shell"];
  for (const side of order) {
    settle(opt["drop-caches"]);
    if (side === "shell") shell.push(await shellCreate(source, join(work, `shell-${i}`)));
    else ours.push(await oursCreate(binary, source, join(work, `ours-${i}`), { keep: i === runs - 1 }));
    const r = side === "shell" ? shell.at(-1)! : ours.at(-1)!;
    log(`bench: create ${side} run ${i + 1}/${runs}: ${r.wall.toFixed(2)} s, exit ${r.code}`);
    if (r.code !== 0) log(`bench:   ${r.stderrTail.replaceAll("\n", "\nbench:   ")}`);
  }
}
const archive = opt.archive ? resolve(opt.archive) : ours.at(-1)?.archive ?? null;

// (b) verify: sha256sum vs ours on our archive, alternating.
const sha: Sample[] = [];
const verify: Sample[] = [];
if (archive) {
  for (let i = 0; i < runs; i++) {
    for (const side of i % 2 === 0 ? ["sha", "ours"] : ["ours", "sha"]) {
      settle(opt["drop-caches"]);
      const r = side === "sha"
        ? await shaVerify(archive)
        : await oursVerify(binary, [archive], join(work, "v.log"));
      (side === "sha" ? sha : verify).push(r);
      log(`bench: verify ${side} run ${i + 1}/${runs}: ${r.wall.toFixed(2)} s, exit ${r.code}`);
      if (r.code !== 0) log(`bench:   ${r.stderrTail.replaceAll("\n", "\nbench:   ")}`);
    }
  }
}

// (c) memory attribution (untimed: polling /proc costs CPU): our process alone vs the git children,
// and the shell pipeline's processes for comparison.
let memory: Results["memory"] = null;
if (!opt["no-memory"] && !smoke && archive && !opt.archive) {
  const dir = join(work, "memory");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "out"), { recursive: true });
  const log = (name: string) => ["--log-file", join(dir, name)];
  const create = await memoryProfile([
    ...[binary, ...log("create.log"), "archive", "create", source],
    ...["--output", join(dir, "out"), "--no-dependencies"],
  ]);
  const verifyProfile = await memoryProfile([binary, ...log("v.log"), "archive", "verify", archive]);
  writeFileSync(join(dir, "pipeline.sh"), PIPELINE);
  const shellProfile = await memoryProfile(["bash", "pipeline.sh", source], { cwd: dir });
  rmSync(dir, { recursive: true, force: true });
  memory = { create, verify: verifyProfile, shell: shellProfile };
}

const incremental = opt.incremental && archive
  ? await incrementalBench({
    binary,
    base: repo,
    fullArchive: archive,
    fullCreate: ours,
    sourceForm: opt.source,
    runs,
    work,
    log,
  })
  : null;

const cpu = cpus();
const results: Results = {
  when: new Date().toISOString(),
  smoke,
  machine: {
    cores: cpu.length,
    cpu: cpu[0]?.model ?? "?",
    mem_gib: Math.round(totalmem() / 2 ** 30),
    free_gib: Math.round(freemem() / 2 ** 30),
    loadavg_before: load0,
    loadavg_after: loadavg(),
    git: spawnSync("git", ["--version"], { encoding: "utf8" }).stdout.trim(),
    gzip: spawnSync("gzip", ["--version"], { encoding: "utf8" }).stdout.split("\n")[0],
    drop_caches: opt["drop-caches"],
    sha_extensions_masked: opt["no-sha-ni"],
    nice: opt.nice === undefined ? null : Number(opt.nice),
    sha_ni: readFileSync("/proc/cpuinfo", "utf8").includes(" sha_ni"),
  },
  binary: {
    path: given,
    sha256: binarySha256,
    version: spawnSync(binary, ["version"], { encoding: "utf8" }).stdout.trim(),
  },
  repo,
  source,
  runs,
  targets: TARGETS,
  create: summarize(shell, ours),
  verify: summarize(sha, verify),
  memory,
  incremental,
  samples: { shell, ours, sha, verify },
};
if (opt.nice !== undefined) setNiceness(null);
const table = renderTable(results);
const label = opt.label ?? (smoke ? "smoke" : "");
const file = join(outDir, label ? `results-${label.replace(/[^A-Za-z0-9_-]+/g, "_")}.json` : "results.json");
writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
console.log(table);
console.log(`results: ${file}`);
const failedRuns = [...shell, ...ours, ...sha, ...verify].some((s) => s.code !== 0) || !archive ||
  (!opt.archive && ours.length === 0) ||
  (opt.incremental && (!incremental || "failed" in incremental));
process.exitCode = failedRuns ? 1 : opt.strict && results.verdicts?.some((v) => v.pass === false) ? 1 : 0;
