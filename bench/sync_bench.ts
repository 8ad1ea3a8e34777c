/**
 * Sync benchmark (issue 4): 50 repositories of mixed sizes in a GitLab group on the forge emulator,
 * mirrored to a GitHub organization on a second emulator, in the same process and run:
 *
 *   loop   a sequential shell loop: `git clone --mirror SRC && git push --mirror DST` per repository
 *          (target repositories pre-created, untimed — the loop cannot create them)
 *   first  `repo-cloner sync` (env-only config), fresh cache, creating the 50 target repositories
 *          through the API — once per configuration (binary × max_parallel)
 *   second the same command again with nothing changed
 *
 * Targets: loop/first ≥ 1.8, second/first ≤ 10 %. The order of the sides rotates between rounds, so
 * no configuration always runs first (or right after the loop) while other jobs load the machine.
 *
 *   deno run -A bench/sync_bench.ts [--rounds 3] [--latency-ms 0] [--parallel default,4,8]
 *                                   [--binary PATH[,PATH2]] [--label NAME] [--out DIR] [--smoke] [--serve]
 *
 * `--serve` only starts the emulators with the repositories, prints the environment of a sync run
 * (`export GITLAB_URL=… GITHUB_ORG=o1`) and waits: for profiling a single run by hand.
 *
 * `--latency-ms` delays every HTTP request (REST and git) on both emulators, for both sides: a WAN
 * round trip. `--parallel` lists `concurrency.max_parallel` values ("default" = the binary's own
 * default, no config file). `--binary` lists binaries (e.g. before and after a change), each run
 * from a private copy, since others may rebuild dist/ mid-run. Results:
 * DIR/results[-NAME].json (kept across runs); work files under DIR/work. DIR: bench/out/sync.
 */
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { startForge } from "../tests/support/forge.ts";
import { addCommits, addTag, gitIn } from "../tests/support/forge_repos.ts";
import { type Run, runMeasured } from "./_sync_run.ts";
import { printSyncReport, summarize } from "./_sync_report.ts";

const ROOT = resolve(import.meta.dirname ?? ".", "..");
const args = new Map<string, string>();
for (let i = 0; i < Deno.args.length; i++) {
  const a = Deno.args[i];
  if (a === "--smoke" || a === "--serve") args.set(a.slice(2), "1");
  else if (a.startsWith("--")) args.set(a.slice(2), Deno.args[++i]);
}
const smoke = args.has("smoke");
const rounds = Number(args.get("rounds") ?? (smoke ? 1 : 3));
const latency = Number(args.get("latency-ms") ?? 0);
const parallels = (args.get("parallel") ?? "default").split(",").map((p) => p.trim());
for (const p of parallels) {
  if (p !== "default" && !(Number.isInteger(Number(p)) && Number(p) > 0)) {
    throw new RangeError(`Cannot run the bench: --parallel "${p}" is not "default" or a positive integer`);
  }
}
const resultsDir = resolve(args.get("out") ?? join(ROOT, "bench/out/sync"));
const out = join(resultsDir, "work");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

/** Private copies of the binaries, with their identity. */
const binaries = (args.get("binary") ?? join(ROOT, "dist/repo-cloner")).split(",").map((p, i) => {
  const path = resolve(p);
  const copy = join(out, `repo-cloner-${i + 1}`);
  copyFileSync(path, copy);
  chmodSync(copy, 0o755);
  const sha256 = createHash("sha256").update(readFileSync(copy)).digest("hex");
  return { path, copy, sha256 };
});
const configs = binaries.flatMap((b, bi) =>
  parallels.map((p) => ({
    name: `${binaries.length > 1 ? `bin${bi + 1} ` : ""}${p === "default" ? "default" : `max_parallel ${p}`}`,
    binary: b,
    parallel: p,
  }))
);

const TOKEN_SRC = "bench-source-token-1";
const TOKEN_DST = "bench-target-token-2";
const gl = await startForge({ flavor: "gitlab", tokens: [TOKEN_SRC], root: join(out, "gitlab") });
const gh = await startForge({ flavor: "github", tokens: [TOKEN_DST], root: join(out, "github") });
if (latency > 0) {
  for (const f of [gl, gh]) f.faults.push({ match: /./, kind: "delay", ms: latency, times: 1e9 });
}

// 50 repositories: 35 small (20 commits of text), 10 medium (120 commits, ~2 MB of binary assets),
// 5 large (400 commits, ~10 MB of binary assets); branches and tags on most.
const plan = smoke
  ? [{ n: 4, commits: 5, kb: 0 }]
  : [{ n: 35, commits: 20, kb: 0 }, { n: 10, commits: 120, kb: 16 }, { n: 5, commits: 400, kb: 25 }];
const names: string[] = [];
let bytes = 0;
const t0 = Date.now();
for (const { n, commits, kb } of plan) {
  for (let i = 0; i < n; i++) {
    const name = `svc-${kb ? (kb > 16 ? "large" : "medium") : "small"}-${String(i).padStart(2, "0")}`;
    const dir = gl.addRepo(`backend/${name}`, { description: `${name} (bench)` }).dir;
    const main = addCommits(dir, "main", commits, { blobBytes: kb * 1024 });
    addCommits(dir, "develop", Math.max(1, commits >> 3), { from: main, label: "dev" });
    addTag(dir, "v1.0.0", main);
    gitIn(dir, ["repack", "-a", "-d", "-q"]);
    bytes += Number(/size-pack: (\d+)/.exec(gitIn(dir, ["count-objects", "-v"]))![1]) * 1024;
    names.push(name);
  }
}
console.error(
  `bench: ${names.length} repositories, ${(bytes / 1048576).toFixed(1)} MiB of packs, built in ${
    ((Date.now() - t0) / 1000).toFixed(1)
  }s; latency ${latency} ms/request; ${availableParallelism()} CPUs; ${configs.length} configuration(s)`,
);

if (args.has("serve")) {
  // For profiling by hand: keep the emulators up with the 50 repositories and print the environment of
  // a sync run; organizations o1…o100 exist on the GitHub side, one per fresh "first" run.
  for (let i = 1; i <= 100; i++) gh.addNamespace(`o${i}`);
  console.log(
    `export GITLAB_URL=${gl.url} GITLAB_TOKEN=${TOKEN_SRC} GITLAB_GROUP=backend ` +
      `GITHUB_URL=${gh.url} GITHUB_TOKEN=${TOKEN_DST} GITHUB_ORG=o1`,
  );
  console.error("bench: serving until interrupted (Ctrl-C)");
  await new Promise(() => {});
}

const basic = (t: string) => Buffer.from(`x:${t}`).toString("base64");
async function loop(org: string): Promise<Run> {
  for (const n of names) gh.addRepo(`${org}/${n}`);
  const work = join(out, `loop-${org}`);
  mkdirSync(work, { recursive: true });
  const script = names.map((n) =>
    `git -c http.extraHeader="Authorization: Basic ${
      basic(TOKEN_SRC)
    }" clone -q --mirror ${gl.url}/backend/${n}.git ${work}/${n}.git && ` +
    `git -C ${work}/${n}.git -c http.extraHeader="Authorization: Basic ${
      basic(TOKEN_DST)
    }" push -q --mirror ${gh.url}/${org}/${n}.git`
  ).join(" &&\n");
  const r = await runMeasured("bash", ["-c", `set -e\n${script}`], { env: {}, home: out });
  rmSync(work, { recursive: true, force: true });
  return r;
}

async function ours(config: (typeof configs)[number], org: string, cache: string): Promise<Run> {
  const env: Record<string, string> = {
    GITLAB_URL: gl.url,
    GITLAB_TOKEN: TOKEN_SRC,
    GITLAB_GROUP: "backend",
    GITHUB_URL: gh.url,
    GITHUB_ORG: org,
    GITHUB_TOKEN: TOKEN_DST,
  };
  const argv = ["sync", "--cache-dir", cache, "--log-file", join(out, `${org}.log`)];
  if (config.parallel !== "default") {
    const cfg = join(out, `parallel-${config.parallel}.yml`);
    writeFileSync(cfg, `concurrency:\n  max_parallel: ${Number(config.parallel)}\n`);
    // The config has no sources/targets, so the env still configures the endpoints.
    argv.unshift("--config", cfg);
  }
  return await runMeasured(config.binary.copy, argv, { env, home: out });
}

type Sides = { first: Run; second: Run };
const samples: Array<{ round: number; loop: Run; configs: Sides[]; load: number }> = [];
const fail = (what: string, x: Run) => {
  console.error(`bench: ${what} failed (exit ${x.code}):\n${x.tail}`);
  Deno.exit(1);
};
for (let r = 1; r <= rounds; r++) {
  // Rotate: round r starts at position (r-1) of [loop, config 1, config 2, …].
  const order = Array.from({ length: configs.length + 1 }, (_, i) => (i + r - 1) % (configs.length + 1));
  gh.addNamespace(`loop${r}`);
  let l: Run | undefined;
  const per: Sides[] = new Array(configs.length);
  for (const slot of order) {
    if (slot === 0) {
      l = await loop(`loop${r}`);
      if (l.code !== 0) fail("loop", l);
      continue;
    }
    const c = slot - 1;
    const org = `c${c + 1}r${r}`;
    gh.addNamespace(org);
    const cache = join(out, `cache-${org}`);
    const first = await ours(configs[c], org, cache);
    if (first.code !== 0) fail(`${configs[c].name} first run`, first);
    const second = await ours(configs[c], org, cache);
    if (second.code !== 0) fail(`${configs[c].name} second run`, second);
    for (const n of names) {
      if (JSON.stringify(gh.refs(`${org}/${n}`)) !== JSON.stringify(gl.refs(`backend/${n}`))) {
        console.error(`bench: round ${r}: ${configs[c].name}: ${n} differs from the source after sync`);
        Deno.exit(1);
      }
    }
    rmSync(cache, { recursive: true, force: true });
    per[c] = { first, second };
  }
  for (const n of names) {
    if (JSON.stringify(gh.refs(`loop${r}/${n}`)) !== JSON.stringify(gl.refs(`backend/${n}`))) {
      console.error(`bench: round ${r}: the loop's ${n} differs from the source`);
      Deno.exit(1);
    }
  }
  const load = loadavg()[0];
  samples.push({ round: r, loop: l!, configs: per, load });
  const fmt = (x: Run) => `${x.wall.toFixed(2)}s (cpu ${x.cpu.toFixed(2)}, emu ${x.serverCpu.toFixed(2)})`;
  console.error(
    `round ${r} (load ${load.toFixed(1)}): loop ${fmt(l!)}\n` +
      configs.map((c, i) => `  ${c.name}: first ${fmt(per[i].first)}  second ${fmt(per[i].second)}`)
        .join("\n"),
  );
}

const result = summarize({
  repositories: names.length,
  packMib: Number((bytes / 1048576).toFixed(1)),
  latencyMs: latency,
  configs: configs.map((c) => ({ name: c.name, parallel: c.parallel, binary: c.binary })),
  samples,
});
mkdirSync(resultsDir, { recursive: true });
const label = args.get("label");
writeFileSync(
  join(resultsDir, `results${label ? `-${label}` : ""}.json`),
  JSON.stringify(result, null, 2) + "\n",
);
printSyncReport(result);
await gl.close();
await gh.close();
