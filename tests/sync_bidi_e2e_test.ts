/**
 * End-to-end: the compiled binary (no deno/bun/node on PATH) runs a bidirectional config against
 * the forge emulator — dry run, source_wins with a backup ref, fail with exit 4, --json — and a run
 * killed with SIGKILL after it pushed one side and before it wrote its state converges on the next run.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addCommits, seedHistory, tipOf } from "./support/forge_repos.ts";
import { headsAndTags, startBidiFixture, stateRefs } from "./support/bidi_fixture.ts";
import { readLog, SOURCE_TOKEN } from "./support/sync_fixture.ts";
import { BINARY, CANARY, cleanPath, runBinary, tempDir } from "./support/binary.ts";

function noCanary(where: string, text: string): void {
  for (const leak of [CANARY, btoa(`x-access-token:${CANARY}`).replace(/=+$/, "")]) {
    assert.ok(!text.includes(leak), `token leaked in ${where}`);
  }
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** A bidirectional config file for the fixture's pair; tokens come from the environment. */
function writeConfig(dir: string, urls: { gl: string; gh: string }, sync: string): string {
  const file = join(dir, "bidi.yml");
  writeFileSync(
    file,
    `sources:\n  - type: gitlab\n    url: ${urls.gl}\n    token: \${GITLAB_TOKEN}\n    repositories: [backend/app]\n` +
      `targets:\n  - type: github\n    url: ${urls.gh}\n    organization: myorg\n    token: \${GITHUB_TOKEN}\n` +
      `sync:\n  mode: bidirectional\n  state_dir: ${join(dir, "state")}\n${sync}` +
      `concurrency:\n  max_retries: 1\n  retry_backoff_seconds: 0.05\n` +
      `metrics:\n  textfile: ${join(dir, "metrics", "repo_cloner.prom")}\n`,
  );
  return file;
}

const ENV = { GITLAB_TOKEN: SOURCE_TOKEN, GITHUB_TOKEN: CANARY };

Deno.test("e2e bidi: the binary plans, resolves with source_wins (backup ref), fails with exit 4, reports --json", async () => {
  const p = await startBidiFixture();
  const dir = tempDir("rc-e2e-bidi-");
  try {
    seedHistory(p.src, { commits: 2, tags: ["v1"] });
    const urls = { gl: p.f.gl.url, gh: p.f.gh.url };
    const args = (config: string, ...more: string[]) => [
      "--config",
      config,
      "--log-file",
      join(dir, "run.log"),
      ...more,
      "sync",
      "--cache-dir",
      join(dir, "cache"),
    ];
    const fail = writeConfig(dir, urls, "  conflict_resolution: fail_fast\n");
    const first = await runBinary(args(fail), { env: ENV });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /^🚀 Starting GitLab ↔ GitHub Bidirectional Synchronization\n/);
    assert.match(
      first.stdout,
      /\n✓ app: No conflicts detected\n {2}GitLab → GitHub: 1 branch, 1 tag \(2 commits\)\n/,
    );
    const stateFile = join(
      dir,
      "state",
      "bidirectional",
      p.f.gl.host.replace(":", "_"),
      "backend",
      "app.json",
    );
    assert.deepEqual(Object.keys(stateRefs(stateFile)), ["refs/heads/main", "refs/tags/v1"]);

    const s = addCommits(p.src, "main", 1, { label: "gitlab" });
    const t = addCommits(p.tgt(), "main", 1, { label: "github" });
    const failed = await runBinary(args(fail), { env: ENV });
    assert.equal(failed.code, 4, failed.stdout + failed.stderr);
    assert.ok(
      failed.stdout.includes(
        `⚠ app: Conflict detected on branch 'main'\n  GitLab HEAD: ${s.slice(0, 7)}\n  GitHub HEAD: ${
          t.slice(0, 7)
        }\n  Resolution: fail_fast (manual intervention required)\n`,
      ),
      failed.stdout,
    );
    assert.match(failed.stderr, /✗ Cannot sync every repository: 1 diverged \(app\)/);

    const wins = writeConfig(dir, urls, "  conflict_resolution: source_wins\n");
    const before = { gl: p.f.gl.refs("backend/app"), gh: p.f.gh.refs("myorg/app") };
    const dry = await runBinary([...args(wins), "--dry-run"], { env: ENV });
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.match(dry.stdout, /\n→ app: 1 ref to act on \(dry run\)\n {2}branch main: conflict: /);
    assert.match(dry.stdout, /GitHub main would be set to GitLab/);
    assert.deepEqual([p.f.gl.refs("backend/app"), p.f.gh.refs("myorg/app")], [before.gl, before.gh]);

    const r = await runBinary([...args(wins, "--json")], { env: ENV });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const result = JSON.parse(r.stdout);
    const bidi = result.repositories[0].targets[0].bidirectional;
    assert.equal(bidi.strategy, "source_wins");
    assert.equal(bidi.conflicts.length, 1);
    const backup = bidi.conflicts[0].backup;
    assert.match(backup.ref, /^refs\/repo-cloner\/backup\/main\/\d{8}T\d{6}Z$/);
    assert.equal(backup.side, "target");
    assert.equal(p.f.gh.refs("myorg/app")[backup.ref], t, "the overwritten GitHub tip is kept");
    assert.deepEqual(headsAndTags(p.f.gh.refs("myorg/app")), headsAndTags(p.f.gl.refs("backend/app")));
    assert.match(
      r.stderr,
      new RegExp(`Resolution: source_wins \\(GitHub main set to GitLab ${s.slice(0, 7)}`),
    );

    // Metrics count every conflict detected (fail: 1, source_wins: 1; dry runs record nothing).
    const prom = readFileSync(join(dir, "metrics", "repo_cloner.prom"), "utf8");
    assert.match(prom, /^repo_cloner_conflicts_total\{repository="app"\} 2$/m);

    const log = readLog(join(dir, "run.log"));
    const ev = log.filter((e) => e.message === "Conflict detected");
    assert.deepEqual(ev.map((e) => [e.strategy, e.dry_run ?? false]), [
      ["fail", false],
      ["source_wins", true],
      ["source_wins", false],
    ]);
    assert.equal(ev[0].backup_ref, null);
    assert.deepEqual([ev[2].repository, ev[2].branch, ev[2].source_sha, ev[2].target_sha, ev[2].backup_ref], [
      "app",
      "main",
      s,
      t,
      backup.ref,
    ]);
    for (
      const [w, text] of [["stdout", r.stdout], ["stderr", r.stderr], [
        "log",
        readFileSync(join(dir, "run.log"), "utf8"),
      ], [
        "state",
        readFileSync(stateFile, "utf8"),
      ]]
    ) noCanary(w, text);
    for (const f of files(join(dir, "cache")).filter((f) => f.endsWith("/config"))) {
      noCanary(f, readFileSync(f, "utf8"));
    }
  } finally {
    await p.close();
  }
});

Deno.test("e2e bidi: SIGKILL after one side was pushed and before the state was written → the next run converges", async () => {
  const p = await startBidiFixture();
  const dir = tempDir("rc-e2e-bidi-kill-");
  try {
    seedHistory(p.src, { commits: 1 });
    const config = writeConfig(dir, { gl: p.f.gl.url, gh: p.f.gh.url }, "");
    const argv = ["--config", config, "sync", "--cache-dir", join(dir, "cache")];
    const first = await runBinary(argv, { env: ENV });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const stateFile = join(
      dir,
      "state",
      "bidirectional",
      p.f.gl.host.replace(":", "_"),
      "backend",
      "app.json",
    );
    const stateBefore = readFileSync(stateFile, "utf8");

    // Work on both sides: the run pushes GitHub first, then GitLab, then writes the state.
    const s = addCommits(p.src, "main", 2);
    const t = addCommits(p.tgt(), "topic", 1, { from: "refs/heads/main", label: "github" });
    const child = spawn(BINARY, argv, {
      env: { HOME: dir, PATH: cleanPath(), NO_COLOR: "1", ...ENV },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<{ signal: string | null }>((r) =>
      child.on("exit", (_c, signal) => r({ signal }))
    );
    let out = "";
    child.stdout.on("data", (d) => out += d);
    child.stderr.on("data", (d) => out += d);
    let drop!: (e: Error) => void;
    const held = new Promise<void>((_, reject) => drop = reject);
    held.catch(() => {});
    let killedAt: string | undefined;
    p.f.gl.faults.push({
      match: /^\/backend\/app\.git\/info\/refs$/,
      query: /service=git-receive-pack/,
      kind: "hold",
      until: held,
      onHold: () => {
        // GitHub has been pushed; GitLab's push is waiting. Kill the binary, then drop the request
        // so the orphaned git push dies too.
        killedAt = tipOf(p.tgt(), "refs/heads/main");
        child.kill("SIGKILL");
        exited.then(() => drop(new Error("killed")));
      },
    });
    const { signal } = await exited;
    assert.equal(signal, "SIGKILL", out);
    assert.equal(killedAt, s, "GitHub was pushed before the kill");
    assert.equal(tipOf(p.src, "refs/heads/topic"), undefined, "GitLab was not pushed");
    assert.equal(readFileSync(stateFile, "utf8"), stateBefore, "the state was not written");
    assert.deepEqual(
      readdirSync(join(dir, "state", "bidirectional", p.f.gl.host.replace(":", "_"), "backend")),
      ["app.json"],
    );

    const next = await runBinary(argv, { env: ENV });
    assert.equal(next.code, 0, next.stdout + next.stderr);
    assert.match(next.stdout, /\n✓ app: No conflicts detected\n {2}GitHub → GitLab: 1 branch \(1 commit\)\n/);
    assert.equal(tipOf(p.src, "refs/heads/topic"), t);
    assert.deepEqual(headsAndTags(p.f.gl.refs("backend/app")), headsAndTags(p.f.gh.refs("myorg/app")));
    assert.deepEqual(stateRefs(stateFile), { "refs/heads/main": s, "refs/heads/topic": t });
  } finally {
    await p.close();
  }
});
