/**
 * Sync benchmark (issue 4): 50 repositories of mixed sizes in a GitLab group on the forge emulator,
 * mirrored to a GitHub organization on a second emulator, in the same process and run:
 *
 *   loop   a sequential shell loop: `git clone --mirror SRC && git push --mirror DST` per repository
 *          (target repositories pre-created, untimed — the loop cannot create them)
 *   first  `dist/repo-cloner sync` (env-only config, defaults: max_parallel = CPU count), fresh cache,
 *          creating the 50 target repositories through the API
 *   second the same command again with nothing changed
 *
 * Targets: loop/first ≥ 1.8, second/first ≤ 10 %. Sides alternate order between rounds.
 *
 *   deno run -A bench/sync_bench.ts [--rounds 2] [--latency-ms 0] [--parallel N] [--binary PATH] [--smoke]
 *
 * `--latency-ms` delays every HTTP request on both emulators (a WAN round trip); `--parallel` writes a
 * config file with `concurrency.max_parallel`. Results: bench/out/sync/results.json.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { startForge } from "../tests/support/forge.ts";
import { addCommits, addTag, gitIn } from "../tests/support/forge_repos.ts";

const ROOT = resolve(import.meta.dirname ?? ".", "..");
const args = new Map<string, string>();
for (let i = 0; i < Deno.args.length; i++) {
  const a = Deno.args[i];
  if (a === "--smoke") args.set("smoke", "1");
  else if (a.startsWith("--")) args.set(a.slice(2), Deno.args[++i]);
}
const smoke = args.has("smoke");
const rounds = Number(args.get("rounds") ?? (smoke ? 1 : 2));
const latency = Number(args.get("latency-ms") ?? 0);
const binary = resolve(args.get("binary") ?? join(ROOT, "dist/repo-cloner"));
const out = join(ROOT, "bench/out/sync");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

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
  }s; latency ${latency} ms/request; ${availableParallelism()} CPUs`,
);

/** CPU seconds (self + reaped children) of this process: the emulators and every side's tree. */
function harnessCpu(): number {
  const f = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}

/** One measured side. */
interface Run {
  wall: number;
  /** CPU seconds of the side's process tree (our binary and its git children, or the loop). */
  cpu: number;
  /** CPU seconds of the emulators (REST, git http-backend and its children) during the run. */
  serverCpu: number;
  code: number;
  tail: string;
}

function run(cmd: string, argv: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((done, fail) => {
    const timeFile = join(out, "time.txt");
    const before = harnessCpu();
    const start = performance.now();
    const child = spawn("/usr/bin/time", ["-f", "%U %S", "-o", timeFile, cmd, ...argv], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: out, ...env },
    });
    const err: string[] = [];
    child.stderr.on("data", (d) => err.push(String(d)));
    child.stdout.on("data", () => {});
    child.on("error", fail);
    child.on("close", (code) => {
      const wall = (performance.now() - start) / 1000;
      const [u, s] = readFileSync(timeFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
      const cpu = u + s;
      const serverCpu = Math.max(0, harnessCpu() - before - cpu);
      done({ wall, cpu, serverCpu, code: code ?? 1, tail: err.join("").slice(-600) });
    });
  });
}

const basic = (t: string) => Buffer.from(`x:${t}`).toString("base64");
async function loop(org: string) {
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
  return await run("bash", ["-c", `set -e\n${script}`], {});
}

async function ours(org: string, cache: string) {
  const env: Record<string, string> = {
    GITLAB_URL: gl.url,
    GITLAB_TOKEN: TOKEN_SRC,
    GITLAB_GROUP: "backend",
    GITHUB_URL: gh.url,
    GITHUB_ORG: org,
    GITHUB_TOKEN: TOKEN_DST,
  };
  const argv = ["sync", "--cache-dir", cache, "--log-file", join(out, `${org}.log`)];
  if (args.has("parallel")) {
    const cfg = join(out, "parallel.yml");
    writeFileSync(cfg, `concurrency:\n  max_parallel: ${Number(args.get("parallel"))}\n`);
    // The config has no sources/targets, so the env still configures the endpoints.
    argv.unshift("--config", cfg);
  }
  return await run(binary, argv, env);
}

const samples: Array<{ round: number; loop: Run; first: Run; second: Run }> = [];
for (let r = 1; r <= rounds; r++) {
  gh.addNamespace(`loop${r}`);
  gh.addNamespace(`ours${r}`);
  const cache = join(out, `cache-${r}`);
  let l, f;
  if (r % 2) {
    l = await loop(`loop${r}`);
    f = await ours(`ours${r}`, cache);
  } else {
    f = await ours(`ours${r}`, cache);
    l = await loop(`loop${r}`);
  }
  const s = await ours(`ours${r}`, cache);
  for (const [what, x] of [["loop", l], ["first", f], ["second", s]] as const) {
    if (x.code !== 0) {
      console.error(`bench: ${what} run failed (exit ${x.code}):\n${x.tail}`);
      Deno.exit(1);
    }
  }
  for (const n of names) {
    const want = JSON.stringify(gl.refs(`backend/${n}`));
    if (
      JSON.stringify(gh.refs(`ours${r}/${n}`)) !== want || JSON.stringify(gh.refs(`loop${r}/${n}`)) !== want
    ) {
      console.error(`bench: round ${r}: ${n} differs from the source after sync`);
      Deno.exit(1);
    }
  }
  samples.push({ round: r, loop: l, first: f, second: s });
  const fmt = (x: Run) =>
    `${x.wall.toFixed(2)}s (cpu ${x.cpu.toFixed(2)}, emulator ${x.serverCpu.toFixed(2)})`;
  console.error(
    `round ${r}: loop ${fmt(l)}  first ${fmt(f)}  second ${fmt(s)}  load ${loadavg()[0].toFixed(1)}`,
  );
}
type Side = "loop" | "first" | "second";
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const wall = (k: Side) => med(samples.map((s) => s[k].wall));
const cpu = (k: Side) => Number(med(samples.map((s) => s[k].cpu)).toFixed(2));
const emu = (k: Side) => Number(med(samples.map((s) => s[k].serverCpu)).toFixed(2));
const result = {
  repositories: names.length,
  pack_mib: Number((bytes / 1048576).toFixed(1)),
  latency_ms: latency,
  cpus: availableParallelism(),
  max_parallel: args.get("parallel") ?? `default (${availableParallelism()})`,
  samples: samples.map((s) => ({
    round: s.round,
    ...Object.fromEntries((["loop", "first", "second"] as const).map((k) => [k, {
      wall: Number(s[k].wall.toFixed(2)),
      cpu: Number(s[k].cpu.toFixed(2)),
      emulator_cpu: Number(s[k].serverCpu.toFixed(2)),
    }])),
  })),
  wall_seconds: { loop: wall("loop"), first: wall("first"), second: wall("second") },
  cpu_seconds: { loop: cpu("loop"), first: cpu("first"), second: cpu("second") },
  emulator_cpu_seconds: { loop: emu("loop"), first: emu("first"), second: emu("second") },
  speedup_first_vs_loop: Number((wall("loop") / wall("first")).toFixed(2)),
  second_as_percent_of_first: Number((100 * wall("second") / wall("first")).toFixed(1)),
  targets: { speedup_min: 1.8, second_percent_max: 10 },
};
writeFileSync(join(out, "results.json"), JSON.stringify(result, null, 2) + "\n");
const line = (k: Side) => `${wall(k).toFixed(2)}s  (cpu ${cpu(k)}s, emulator cpu ${emu(k)}s)`;
console.log(
  [
    `sync bench: ${names.length} repos, ${result.pack_mib} MiB, latency ${latency} ms, max_parallel ${result.max_parallel}`,
    `  shell loop (clone --mirror + push --mirror): ${line("loop")}`,
    `  repo-cloner first run:                        ${
      line("first")
    }  speedup x${result.speedup_first_vs_loop} (target >= 1.8)`,
    `  repo-cloner second run (no change):           ${
      line("second")
    }  ${result.second_as_percent_of_first}% of first (target <= 10%)`,
  ].join("\n"),
);
await gl.close();
await gh.close();
