/**
 * End-to-end: the compiled binary (no deno/bun/node on PATH) runs the spec's GitLab → GitHub
 * workflow configured by environment variables alone, against the forge emulator.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addCommits, seedHistory } from "./support/forge_repos.ts";
import { readLog, SOURCE_TOKEN, startSyncFixture } from "./support/sync_fixture.ts";
import { CANARY, runBinary, tempDir } from "./support/binary.ts";
import { canaryForms } from "./support/canary.ts";

const NAMES = [
  "backend-auth-service",
  "backend-api-gateway",
  "backend-user-service",
  "backend-notification",
  "backend-billing",
  "backend-search",
  "backend-orders",
  "backend-inventory",
  "backend-shipping",
  "backend-payments",
  "backend-reports",
  "backend-catalog",
  "backend-audit",
  "backend-scheduler",
  "backend-monitoring",
];

function noCanary(where: string, text: string): void {
  for (const form of canaryForms()) assert.ok(!text.includes(form), `token leaked in ${where}`);
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

Deno.test("e2e: binary syncs the spec's 15 GitLab repositories to GitHub from env vars, then a no-op rerun", async () => {
  const f = await startSyncFixture();
  const home = tempDir("rc-e2e-home-");
  try {
    let expectedCommits = 0;
    NAMES.forEach((name, i) => {
      const dir = f.gl.addRepo(`backend/${name}`, { description: `${name} service` }).dir;
      const branches = Array.from({ length: i % 3 }, (_, b) => `feature-${b}`);
      seedHistory(dir, { commits: 1 + (i % 4), branches, tags: i % 2 ? ["v1.0.0"] : [] });
      expectedCommits += 1 + (i % 4) + branches.length;
    });
    // backend-user-service stalls once: git's low-speed limit turns it into a timeout, then a retry.
    f.gl.faults.push({ match: /^\/backend\/backend-user-service\.git\/git-upload-pack$/, kind: "hang" });
    const env = {
      GITLAB_URL: f.gl.url,
      GITLAB_TOKEN: SOURCE_TOKEN,
      GITLAB_GROUP: "backend",
      GITHUB_URL: f.gh.url,
      GITHUB_ORG: "myorg",
      GITHUB_TOKEN: CANARY,
      XDG_CACHE_HOME: join(home, "cache"),
      HOME: home,
      GIT_HTTP_LOW_SPEED_LIMIT: "1000",
      GIT_HTTP_LOW_SPEED_TIME: "1",
    };
    const r = await runBinary(["sync"], { env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = r.stdout;
    const m =
      /^🚀 Starting GitLab → GitHub Synchronization\n {3}Session ID: (sync-\d{8}-\d{6})\n {3}Source: (\S+)\n {3}Target: (\S+)\n\n📁 Discovering repositories\.\.\.\n {3}✓ Found 15 repositories in backend\n\n📥 Syncing repositories:\n/
        .exec(out);
    assert.ok(m, out);
    assert.equal(m[2], `${f.gl.host}/backend`);
    assert.equal(m[3], `${f.gh.host}/myorg`);
    const done = out.split("\n").filter((l) =>
      /^ {3}\[\d+\/15\] \S+\.\.\. ✓ \(\d+ commits?, \d+ branch(es)?, \d+\.\ds\)( \[retry \d\/3\])?$/.test(l)
    );
    assert.equal(done.length, 15, out);
    assert.deepEqual(
      done.map((l) => Number(/\[(\d+)\//.exec(l)![1])),
      Array.from({ length: 15 }, (_, i) => i + 1),
    );
    assert.match(
      out,
      /\n {3}\[(\d+)\/15\] backend-user-service\.\.\. ⚠ Network timeout \(retrying\.\.\.\)\n/,
    );
    assert.match(
      out,
      /\n {3}\[\d+\/15\] backend-user-service\.\.\. ✓ \(\d commits?, \d branch(es)?, \d+\.\ds\) \[retry 1\/3\]\n/,
    );
    const summary = new RegExp(
      `\\n✅ Synchronization complete!\\n\\nSummary:\\n  Total repositories: 15\\n  Successful: 15\\n  Failed: 0\\n` +
        `  Total commits synced: ${expectedCommits}\\n  Total branches synced: 30\\n  Total time: \\dm \\d+s\\n\\n` +
        `Logs saved to: (/tmp/repo-cloner-${m[1]}\\.log)\\n$`,
    );
    const s = summary.exec(out);
    assert.ok(s, out);
    const logFile = s[1];
    try {
      const log = readLog(logFile);
      const started = log.find((e) => e.message === "Synchronization session started")!;
      assert.deepEqual([started.logger, started.session_id, started.source, started.target], [
        "repo_cloner.workflows.gitlab_to_github",
        m[1],
        m[2],
        m[3],
      ]);
      const completed = log.filter((e) => e.message === "Repository sync completed");
      assert.equal(completed.length, 15);
      for (const e of completed) {
        assert.equal(e.logger, "repo_cloner.sync_engine");
        assert.equal(e.status, "success");
        assert.equal(e.target_url, `${f.gh.url}/myorg/${e.repository}.git`);
        assert.equal(e.source_url, `${f.gl.url}/backend/${e.repository}.git`);
        for (const k of ["commits_synced", "branches_synced", "duration_seconds"]) {
          assert.equal(typeof e[k], "number");
        }
      }
      const retry = log.find((e) => String(e.message).startsWith("Transient network error (will retry): "))!;
      assert.deepEqual(
        [retry.level, retry.logger, retry.repository, retry.retry_attempt, retry.max_retries],
        [
          "WARNING",
          "repo_cloner.git_client",
          "backend-user-service",
          1,
          3,
        ],
      );
      noCanary("log", readFileSync(logFile, "utf8"));
    } finally {
      rmSync(logFile, { force: true });
    }
    for (const name of NAMES) {
      assert.deepEqual(f.gh.refs(`myorg/${name}`), f.gl.refs(`backend/${name}`), name);
    }
    noCanary("stdout", r.stdout);
    noCanary("stderr", r.stderr);
    const cache = join(home, "cache", "repo-cloner");
    assert.ok(existsSync(cache), "default cache dir under $XDG_CACHE_HOME");
    for (const p of files(cache).filter((p) => p.endsWith("/config"))) noCanary(p, readFileSync(p, "utf8"));

    // Rerun with one change: only that repository is fetched and pushed.
    addCommits(f.gl.repos.get("backend/backend-search")!.dir, "main", 2);
    const mark = { gl: f.gl.log.length, gh: f.gh.log.length };
    const r2 = await runBinary(["sync", "--log-file", join(home, "second.log")], { env });
    assert.equal(r2.code, 0, r2.stdout + r2.stderr);
    assert.match(r2.stdout, /\] backend-search\.\.\. ✓ \(2 commits, 1 branch, \d+\.\ds\)\n/);
    assert.equal(r2.stdout.split("\n").filter((l) => l.includes("(up to date,")).length, 14);
    assert.deepEqual(f.gl.log.slice(mark.gl).filter((e) => e.op === "fetch").map((e) => e.repo), [
      "backend/backend-search",
    ]);
    assert.deepEqual(f.gh.log.slice(mark.gh).filter((e) => e.op === "push").map((e) => e.repo), [
      "myorg/backend-search",
    ]);
  } finally {
    await f.close();
  }
});

Deno.test("e2e: binary exit codes — 5 for a rejected token (never printed), 4 when some repositories fail, --json result", async () => {
  const f = await startSyncFixture({ ghTokens: ["ghp-only-this-one-works"] });
  const dir = tempDir("rc-e2e-codes-");
  try {
    seedHistory(f.gl.addRepo("backend/good").dir);
    seedHistory(f.gl.addRepo("backend/broken").dir);
    const env = {
      GITLAB_URL: f.gl.url,
      GITLAB_TOKEN: SOURCE_TOKEN,
      GITLAB_GROUP: "backend",
      GITHUB_URL: f.gh.url,
      GITHUB_ORG: "myorg",
      GITHUB_TOKEN: CANARY,
    };
    const bad = await runBinary(["sync", "--cache-dir", join(dir, "c1"), "--log-file", join(dir, "a.log")], {
      env,
    });
    assert.equal(bad.code, 5, bad.stdout + bad.stderr);
    assert.match(
      bad.stderr,
      /✗ Cannot check the token: the target token for GitHub at 127\.0\.0\.1:\d+ \(GITHUB_TOKEN\) was rejected \(HTTP 401\)\. Use a valid token with the "repo"/,
    );
    for (
      const [w, t] of [["stdout", bad.stdout], ["stderr", bad.stderr], [
        "log",
        readFileSync(join(dir, "a.log"), "utf8"),
      ]]
    ) {
      noCanary(w, t);
    }

    const config = join(dir, "sync.yml");
    writeFileSync(
      config,
      `sources:\n  - type: gitlab\n    url: ${f.gl.url}\n    token: \${GITLAB_TOKEN}\n    groups: [backend]\n` +
        `targets:\n  - type: github\n    url: ${f.gh.url}\n    organization: myorg\n    token: ghp-only-this-one-works\n` +
        `concurrency:\n  max_parallel: 2\n  max_retries: 1\n  retry_backoff_seconds: 0.05\n`,
    );
    f.gl.faults.push({
      match: /^\/backend\/broken\.git\/info\/refs$/,
      kind: "status",
      status: 503,
      times: 2,
    });
    const part = await runBinary(
      [
        "--config",
        config,
        "--json",
        "sync",
        "--cache-dir",
        join(dir, "c2"),
        "--log-file",
        join(dir, "b.log"),
      ],
      { env: { GITLAB_TOKEN: SOURCE_TOKEN } },
    );
    assert.equal(part.code, 4, part.stdout + part.stderr);
    const result = JSON.parse(part.stdout);
    assert.deepEqual([result.total, result.successful, result.failed, result.failed_repositories], [2, 1, 1, [
      "broken",
    ]]);
    assert.match(part.stderr, /Failed: 1 \(broken\)/);
    assert.match(part.stderr, /✗ Cannot sync every repository: 1 failed \(broken\)/);
    const failure = readLog(join(dir, "b.log")).find((e) =>
      e.status === "failure" && e.repository === "broken"
    )!;
    assert.equal(failure.error_type, "NetworkError");
  } finally {
    await f.close();
  }
});
