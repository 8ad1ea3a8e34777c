/**
 * Scheduled mode with the compiled binary: `sync --every 2s` runs cycles in one session (one log,
 * `cycle` on every record) with the `/metrics` + `/healthz` listener up across cycles; a SIGTERM
 * while a cycle's `git clone` hangs on the forge kills that git (no process, no partial mirror left),
 * writes the final metrics (textfile, Pushgateway) and exits 0. A SIGINT during the wait between
 * cycles ends the process at once, also with exit 0.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { seedHistory } from "./support/forge_repos.ts";
import { type Forge, startForge } from "./support/forge.ts";
import { BINARY, CANARY, cleanPath, tempDir } from "./support/binary.ts";
import { SOURCE_TOKEN } from "./support/sync_fixture.ts";
import { parseExposition, promtoolCheckMetrics, startPushgateway } from "./support/prometheus_tools.ts";
import { processList } from "./support/proc_scan.ts";

interface Daemon {
  child: ChildProcess;
  out: () => string;
  /** Set once the process has exited. */
  done: { exited: boolean };
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startDaemon(args: string[], env: Record<string, string>): Daemon {
  const child = spawn(BINARY, args, {
    env: { HOME: process.env.HOME ?? "/root", PATH: cleanPath(), NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => out += d);
  child.stderr!.on("data", (d) => out += d);
  const done = { exited: false };
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => {
      done.exited = true;
      resolve({ code, signal });
    })
  );
  return { child, out: () => out, done, exit };
}

/**
 * Sends `sig` with process.kill: Deno's ChildProcess.kill() makes the `close` event report the signal
 * it sent even when the child handled it and exited 0, which would hide the exit code under test.
 */
function signal(d: Daemon, sig: NodeJS.Signals): void {
  process.kill(d.child.pid!, sig);
}

function records(logFile: string): Record<string, unknown>[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

/** Polls `probe` every 50 ms, at most `tries` times; fails with `what` (and the daemon's output). */
async function waitFor<T>(what: string, d: Daemon, probe: () => T | undefined, tries = 1200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (d.done.exited) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  d.child.kill("SIGKILL");
  throw new Error(`gave up waiting for ${what}; output:\n${d.out()}`);
}

function config(dir: string, gl: Forge, gh: Forge, extra: string): string {
  const file = join(dir, "config.yml");
  writeFileSync(
    file,
    `sources:
  - { type: gitlab, url: "${gl.url}", token: "\${GITLAB_TOKEN}", groups: [backend] }
targets:
  - { type: github, url: "${gh.url}", organization: myorg, token: "\${GITHUB_TOKEN}" }
sync: { state_dir: "${join(dir, "state")}", cache_dir: "${join(dir, "cache")}" }
concurrency: { max_parallel: 1, max_retries: 1, retry_backoff_seconds: 0.05, timeout_per_repo_seconds: 300 }
${extra}`,
  );
  return file;
}

Deno.test("sync --every: cycles share one session and listener; SIGTERM mid-cycle kills git and exits 0", async () => {
  const gl = await startForge({ flavor: "gitlab", tokens: [SOURCE_TOKEN] });
  const gh = await startForge({ flavor: "github", tokens: [CANARY] });
  const gw = await startPushgateway();
  let daemon: Daemon | undefined;
  try {
    gl.addNamespace("backend");
    gh.addNamespace("myorg");
    for (const name of ["auth-service", "api-gateway"]) {
      seedHistory(gl.addRepo(`backend/${name}`).dir, { commits: 2 });
    }
    const dir = tempDir("rc-schedule-");
    const logFile = join(dir, "sync.log");
    const textfile = join(dir, "repo_cloner.prom");
    const cfg = config(
      dir,
      gl,
      gh,
      `metrics:\n  listen: "127.0.0.1:0"\n  textfile: "${textfile}"\n  pushgateway_url: "${gw.url}"\n`,
    );
    const d = daemon = startDaemon(["sync", "--config", cfg, "--log-file", logFile, "--every", "2s"], {
      GITLAB_TOKEN: SOURCE_TOKEN,
      GITHUB_TOKEN: CANARY,
    });
    const completed = (cycle: number) =>
      records(logFile).some((r) => r.message === "Synchronization session completed" && r.cycle === cycle);
    await waitFor("cycle 2 to complete", d, () => completed(2));
    const base = String(
      records(logFile).find((r) => r.message === "Scheduled sync started")?.metrics_url ?? "",
    ).replace(/\/metrics$/, "");
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);

    // The listener is up between cycles and shows both.
    const live = await (await fetch(`${base}/metrics`)).text();
    assert.ok(promtoolCheckMetrics(live).ok, promtoolCheckMetrics(live).output);
    const m = parseExposition(live);
    assert.ok(m.get('repo_cloner_runs_total{status="success"}')! >= 2, live);
    assert.ok(m.get('repo_cloner_sync_success_total{repository="auth-service"}')! >= 2, live);
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).status, "ok");

    // A new repository whose first clone hangs on the forge: the next cycle blocks in `git clone`.
    seedHistory(gl.addRepo("backend/slow-repo").dir, { commits: 1 });
    gl.faults.push({ match: /^\/backend\/slow-repo\.git\/info\/refs$/, kind: "hang", times: 1 });
    await waitFor("the hanging clone", d, () => gl.log.some((e) => e.fault === "hang"));
    await waitFor(
      "git clone of slow-repo to run",
      d,
      () => processList().some((p) => p.argv.join(" ").includes("slow-repo.git")),
    );
    signal(d, "SIGTERM");
    await waitFor("the exit after SIGTERM", d, () => d.done.exited || undefined, 600);
    const exit = await d.exit;
    daemon = undefined;
    assert.deepEqual(exit, { code: 0, signal: null }, d.out());

    // The git child was killed with its process group; no partial mirror is left.
    assert.ok(!processList().some((p) => p.argv.join(" ").includes("slow-repo.git")), "git left running");
    const mirrors = join(dir, "cache", "mirrors", gl.host.replace(/[^A-Za-z0-9.-]/g, "_"), "backend");
    assert.ok(!readdirSync(mirrors).some((n) => n.includes("partial")), readdirSync(mirrors).join(", "));
    assert.ok(!existsSync(join(mirrors, "slow-repo.git")));

    // One session, one log, cycle on every record; the interrupted repository is not a failure.
    const log = records(logFile);
    assert.equal(new Set(log.map((r) => r.session_id)).size, 1);
    // Repositories still being checked when the signal came are interrupted too (checks run four times
    // as wide as git work); the one whose clone hung is always among them.
    const stops = log.filter((r) => r.message === "Repository sync interrupted");
    const interrupted = stops.find((r) => r.repository === "slow-repo");
    assert.equal(interrupted?.repository, "slow-repo", JSON.stringify(stops));
    for (const r of stops) assert.equal(r.cycle, interrupted?.cycle, "interrupted in another cycle");
    const cycles = Number(interrupted?.cycle);
    assert.ok(cycles >= 3, `interrupted in cycle ${cycles}`);
    assert.ok(!log.some((r) => r.message === "Repository sync failed"), "nothing failed");
    const stopped = log.find((r) => r.message === "Scheduled sync stopped");
    assert.deepEqual([stopped?.signal, stopped?.cycles, stopped?.status], ["SIGTERM", cycles, "stopped"]);
    for (let c = 1; c <= cycles; c++) {
      assert.equal(
        log.filter((r) => r.message === "Synchronization session started" && r.cycle === c).length,
        1,
        `cycle ${c}`,
      );
    }
    assert.match(d.out(), /⏹ Stopped by SIGTERM after \d+ cycles/);

    // The final metrics hold every cycle: textfile and Pushgateway.
    const text = readFileSync(textfile, "utf8");
    assert.ok(promtoolCheckMetrics(text).ok, promtoolCheckMetrics(text).output);
    const t = parseExposition(text);
    assert.equal(t.get('repo_cloner_runs_total{status="success"}'), cycles - 1);
    assert.equal(t.get('repo_cloner_runs_total{status="interrupted"}'), 1);
    assert.equal(t.get('repo_cloner_sync_success_total{repository="auth-service"}'), cycles);
    assert.equal(t.get('repo_cloner_sync_failure_total{repository="slow-repo"}'), undefined);
    assert.equal(t.get("repo_cloner_consecutive_failed_runs"), 0);
    const g = parseExposition(await (await fetch(`${gw.url}/metrics`)).text());
    assert.equal(g.get('repo_cloner_runs_total{instance="",job="repo-cloner",status="success"}'), cycles - 1);
    assert.equal(g.get('repo_cloner_runs_total{instance="",job="repo-cloner",status="interrupted"}'), 1);

    const everything = [d.out(), readFileSync(logFile, "utf8"), text].join("\n");
    for (const secret of [CANARY, SOURCE_TOKEN]) assert.ok(!everything.includes(secret), `${secret} leaked`);
  } finally {
    daemon?.child.kill("SIGKILL");
    await gw.close();
    await gl.close();
    await gh.close();
  }
});

Deno.test("sync --every: SIGINT while waiting for the next cycle exits 0 at once", async () => {
  const gl = await startForge({ flavor: "gitlab", tokens: [SOURCE_TOKEN] });
  const gh = await startForge({ flavor: "github", tokens: [CANARY] });
  let daemon: Daemon | undefined;
  try {
    gl.addNamespace("backend");
    gh.addNamespace("myorg");
    seedHistory(gl.addRepo("backend/auth-service").dir, { commits: 1 });
    const dir = tempDir("rc-schedule-int-");
    const logFile = join(dir, "sync.log");
    const cfg = config(dir, gl, gh, "");
    const d = daemon = startDaemon(["sync", "--config", cfg, "--log-file", logFile, "--every", "1h"], {
      GITLAB_TOKEN: SOURCE_TOKEN,
      GITHUB_TOKEN: CANARY,
    });
    await waitFor(
      "the wait for cycle 2",
      d,
      () => records(logFile).some((r) => r.message === "Next sync cycle scheduled"),
    );
    const next = records(logFile).find((r) => r.message === "Next sync cycle scheduled")!;
    assert.equal(next.cycle, 2);
    assert.ok(Number(next.wait_seconds) > 3000, `waits ${next.wait_seconds}s`);
    signal(d, "SIGINT");
    // A sleep that ignored the signal would wait an hour: the bounded wait below fails first.
    await waitFor("the exit after SIGINT", d, () => d.done.exited || undefined, 200);
    const exit = await d.exit;
    daemon = undefined;
    assert.deepEqual(exit, { code: 0, signal: null }, d.out());
    const stopped = records(logFile).find((r) => r.message === "Scheduled sync stopped");
    assert.deepEqual([stopped?.signal, stopped?.cycles], ["SIGINT", 1]);
  } finally {
    daemon?.child.kill("SIGKILL");
    await gl.close();
    await gh.close();
  }
});

Deno.test("sync --every refuses a bad interval and --dry-run with exit 2", async () => {
  const { runBinary } = await import("./support/binary.ts");
  const env = {
    GITLAB_URL: "http://127.0.0.1:9",
    GITLAB_TOKEN: SOURCE_TOKEN,
    GITLAB_GROUP: "backend",
    GITHUB_ORG: "myorg",
    GITHUB_TOKEN: CANARY,
    GITHUB_URL: "http://127.0.0.1:9",
  };
  const bad = await runBinary(["sync", "--every", "15"], { env });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /Cannot use --every "15": give a duration such as 30s, 15m, 1h/);
  const dry = await runBinary(["sync", "--every", "15m", "--dry-run"], { env });
  assert.equal(dry.code, 2, dry.stderr);
  assert.match(dry.stderr, /Cannot use --every with --dry-run/);
});

Deno.test("one-shot sync: SIGTERM while git clone hangs kills it, records the run as interrupted, exits 143", async () => {
  const gl = await startForge({ flavor: "gitlab", tokens: [SOURCE_TOKEN] });
  const gh = await startForge({ flavor: "github", tokens: [CANARY] });
  let daemon: Daemon | undefined;
  try {
    gl.addNamespace("backend");
    gh.addNamespace("myorg");
    seedHistory(gl.addRepo("backend/slow-repo").dir, { commits: 1 });
    gl.faults.push({ match: /^\/backend\/slow-repo\.git\/info\/refs$/, kind: "hang", times: 1 });
    const dir = tempDir("rc-oneshot-term-");
    const logFile = join(dir, "sync.log");
    const textfile = join(dir, "repo_cloner.prom");
    const cfg = config(dir, gl, gh, `metrics:\n  textfile: "${textfile}"\n`);
    const d = daemon = startDaemon(["sync", "--config", cfg, "--log-file", logFile], {
      GITLAB_TOKEN: SOURCE_TOKEN,
      GITHUB_TOKEN: CANARY,
    });
    await waitFor(
      "git clone of slow-repo to run",
      d,
      () => processList().some((p) => p.argv.join(" ").includes("slow-repo.git")),
    );
    signal(d, "SIGTERM");
    await waitFor("the exit after SIGTERM", d, () => d.done.exited || undefined, 600);
    const exit = await d.exit;
    daemon = undefined;
    assert.deepEqual(exit, { code: 143, signal: null }, d.out());
    assert.match(d.out(), /✗ Interrupted by SIGTERM/);
    assert.ok(!processList().some((p) => p.argv.join(" ").includes("slow-repo.git")), "git left running");
    const log = records(logFile);
    assert.equal(log.find((r) => r.message === "Repository sync interrupted")?.repository, "slow-repo");
    assert.ok(!log.some((r) => r.message === "Repository sync failed"));
    const t = parseExposition(readFileSync(textfile, "utf8"));
    assert.equal(t.get('repo_cloner_runs_total{status="interrupted"}'), 1);
    assert.equal(t.get('repo_cloner_sync_failure_total{repository="slow-repo"}'), undefined);
  } finally {
    daemon?.child.kill("SIGKILL");
    await gl.close();
    await gh.close();
  }
});
