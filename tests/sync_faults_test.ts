/**
 * Fault handling of sync against the forge emulator: transient git and REST faults are retried with
 * backoff (honouring Retry-After), a hung git is killed at the per-repository timeout, a rejected
 * token stops the run at once with exit 5, and the token never reaches output, logs, the cache's
 * git config or a git child's command line.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { seedHistory } from "./support/forge_repos.ts";
import { startSyncFixture } from "./support/sync_fixture.ts";
import { CANARY } from "./support/binary.ts";
import { canaryForms } from "./support/canary.ts";
import { processList, sampleProcesses } from "./support/proc_scan.ts";
import { AuthError, ExitCode } from "../src/errors.ts";

const LEAKS = canaryForms();

function assertNoLeak(where: string, text: string): void {
  for (const leak of LEAKS) assert.ok(!text.includes(leak), `token leaked in ${where}`);
}

/** Every file's text under `dir` named `config` (git configs of the mirror cache). */
function gitConfigs(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n === "config") out.push(readFileSync(p, "utf8"));
    }
  };
  walk(dir);
  return out;
}

Deno.test("sync faults: 502 twice on git, then success, with the spec's retry lines and log events", async () => {
  const f = await startSyncFixture();
  try {
    seedHistory(f.gl.addRepo("backend/user-service").dir, { commits: 2 });
    f.gl.faults.push({
      match: /^\/backend\/user-service\.git\/info\/refs$/,
      kind: "status",
      status: 502,
      times: 2,
    });
    const r = await f.run();
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(r.result.successful, 1);
    assert.deepEqual(Object.keys(f.gh.refs("myorg/user-service")), ["refs/heads/main"]);
    const lines = r.out.split("\n").filter((l) => l.includes("user-service"));
    assert.deepEqual(lines.slice(0, 2), [
      "   [1/1] user-service... ⚠ Server error (HTTP 502) (retrying...)",
      "   [1/1] user-service... ⚠ Server error (HTTP 502) (retrying...)",
    ]);
    assert.match(
      lines[2],
      /^ {3}\[1\/1\] user-service\.\.\. ✓ \(2 commits, 1 branch, \d+\.\ds\) \[retry 2\/3\]$/,
    );
    const warns = r.log.filter((e) => e.message.startsWith("Transient network error (will retry): "));
    assert.deepEqual(warns.map((w) => [w.level, w.logger, w.repository, w.retry_attempt, w.max_retries]), [
      ["WARNING", "repo_cloner.git_client", "user-service", 1, 3],
      ["WARNING", "repo_cloner.git_client", "user-service", 2, 3],
    ]);
    assert.match(String(warns[0].error), /502/);
    assert.equal(f.gl.log.filter((e) => e.status === 502).length, 2);
  } finally {
    await f.close();
  }
});

Deno.test("sync faults: REST secondary rate limit and 429 are retried after Retry-After; dropped fetch connection retried", async () => {
  const f = await startSyncFixture();
  try {
    seedHistory(f.gl.addRepo("backend/api").dir, { commits: 1 });
    f.gh.faults.push({
      match: /^\/api\/v3\/orgs\/myorg\/repos$/,
      kind: "status",
      status: 403,
      headers: { "retry-after": "1", "x-ratelimit-remaining": "4000" },
      body: {
        message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
      },
    });
    f.gh.faults.push({
      match: /^\/api\/v3\/orgs\/myorg\/repos$/,
      kind: "status",
      status: 429,
      headers: { "retry-after": "1" },
      body: { message: "Too many requests" },
    });
    f.gl.faults.push({ match: /^\/backend\/api\.git\/git-upload-pack$/, kind: "drop", times: 2 });
    const r = await f.run();
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(r.result.successful, 1, r.out);
    const calls = f.gh.log.filter((e) => e.path === "/api/v3/orgs/myorg/repos");
    assert.deepEqual(calls.map((c) => c.status).slice(0, 3), [403, 429, 200]);
    assert.ok(
      calls[1].at - calls[0].at >= 950,
      `waited only ${calls[1].at - calls[0].at} ms after Retry-After: 1`,
    );
    assert.ok(
      calls[2].at - calls[1].at >= 950,
      `waited only ${calls[2].at - calls[1].at} ms after Retry-After: 1`,
    );
    assert.ok(f.gh.repos.has("myorg/api"));
    assert.equal(f.gl.log.filter((e) => e.fault === "drop").length, 2);
  } finally {
    await f.close();
  }
});

Deno.test("sync faults: a hung git is killed at the per-repository timeout and retried; one that keeps hanging fails alone", async () => {
  const f = await startSyncFixture();
  try {
    seedHistory(f.gl.addRepo("backend/user-service").dir, { commits: 1 });
    seedHistory(f.gl.addRepo("backend/stuck").dir, { commits: 1 });
    seedHistory(f.gl.addRepo("backend/fine").dir, { commits: 1 });
    f.gl.faults.push({ match: /^\/backend\/user-service\.git\/git-upload-pack$/, kind: "hang", times: 1 });
    f.gl.faults.push({ match: /^\/backend\/stuck\.git\/git-upload-pack$/, kind: "hang", times: 100 });
    const config = f.config();
    config.concurrency = {
      max_parallel: 3,
      timeout_per_repo_seconds: 1.5,
      max_retries: 1,
      retry_backoff_seconds: 0.05,
    };
    const started = Date.now();
    const r = await f.run({ config });
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(r.result.successful, 2, r.out);
    assert.deepEqual(r.result.failed_repositories, ["stuck"]);
    assert.match(r.out, /\] user-service\.\.\. ⚠ Network timeout \(retrying\.\.\.\)\n/);
    assert.match(r.out, /\] user-service\.\.\. ✓ \(1 commit, 1 branch, \d+\.\ds\) \[retry 1\/1\]\n/);
    assert.match(r.out, /\] stuck\.\.\. ✗ Network timeout: .* \[retry 1\/1\]\n/);
    assert.match(r.out, /Failed: 1 \(stuck\)\n/);
    const fail = r.log.find((e) => e.message === "Repository sync failed")!;
    assert.equal(fail.status, "failure");
    assert.equal(fail.error_type, "NetworkError");
    assert.equal(fail.repository, "stuck");
    // Two attempts of 1.5 s each for "stuck", run in parallel with the others: bounded, not 60 s.
    assert.ok(Date.now() - started < 15_000);
    // The killed git processes are gone, process group and all.
    const port = f.gl.host.split(":")[1];
    const left = processList().filter((p) => p.argv.join(" ").includes(`:${port}/`));
    assert.deepEqual(left, []);
  } finally {
    await f.close();
  }
});

Deno.test("sync faults: a wrong target token fails fast with exit 5, touches nothing, and never leaks", async () => {
  const f = await startSyncFixture({ ghTokens: ["ghp-the-only-valid-one"] });
  try {
    seedHistory(f.gl.addRepo("backend/a").dir, { commits: 1 });
    seedHistory(f.gl.addRepo("backend/b").dir, { commits: 1 });
    const r = await f.run();
    assert.ok(r.error instanceof AuthError, String(r.error));
    assert.equal((r.error as AuthError).exitCode, ExitCode.auth);
    const msg = (r.error as Error).message;
    assert.match(
      msg,
      /target token for GitHub at 127\.0\.0\.1:\d+ \(targets\[0\]\.token\) was rejected \(HTTP 401\)/,
    );
    assert.match(msg, /"repo"/);
    assert.equal(f.gh.log.length, 1, "one request to the target, no retries");
    assert.deepEqual(f.gl.log.filter((e) => e.op !== "api"), [], "no git traffic at all");
    assertNoLeak("error message", msg);
    assertNoLeak("terminal output", r.out);
    assertNoLeak("log file", readFileSync(f.logFile, "utf8"));
  } finally {
    await f.close();
  }
});

Deno.test("sync faults: during a slow push the token is in no git command line, cache config, output or log", async () => {
  const f = await startSyncFixture();
  try {
    seedHistory(f.gl.addRepo("backend/slow").dir, { commits: 2, tags: ["v1"] });
    f.gh.faults.push({ match: /^\/myorg\/slow\.git\/git-receive-pack$/, kind: "delay", ms: 1500 });
    const sampler = sampleProcesses(15);
    const r = await f.run();
    const seen = sampler.stop();
    assert.equal(r.error, undefined, String(r.error));
    assert.ok(
      seen.some((c) => /^\S*git push .*\/myorg\/slow\.git/.test(c)),
      "the sampler never saw the push",
    );
    for (const c of seen) assertNoLeak(`process command line "${c.slice(0, 60)}"`, c);
    assertNoLeak("terminal output", r.out);
    assertNoLeak("log file", readFileSync(f.logFile, "utf8"));
    for (const c of gitConfigs(f.cacheDir)) assertNoLeak("mirror .git/config", c);
    assert.ok(gitConfigs(f.cacheDir).length >= 1);
  } finally {
    await f.close();
  }
});

Deno.test("sync faults: a read-only target token stops the run at the first refused write (REST create or git push), exit 5", async () => {
  const f = await startSyncFixture();
  try {
    // Replace the GitHub forge's token rules: CANARY may read but not write.
    f.gh.options.tokens.splice(0, f.gh.options.tokens.length, "someone-else-tok");
    f.gh.options.readOnlyTokens = [CANARY];
    for (const n of ["a", "b", "c", "d"]) seedHistory(f.gl.addRepo(`backend/${n}`).dir);
    const config = f.config();
    config.concurrency = { ...config.concurrency, max_parallel: 1 };
    const r = await f.run({ config });
    assert.equal(r.error, undefined, String(r.error));
    assert.ok(r.authError, r.out);
    assert.equal(r.authError.exitCode, ExitCode.auth);
    assert.match(
      r.authError.message,
      /target token for GitHub at 127\.0\.0\.1:\d+ \(targets\[0\]\.token\) lacks permission \(HTTP 403\)/,
    );
    assert.equal(r.result.repositories.length, 1, "fail fast: no further repository started");
    assert.deepEqual(r.result.not_started, ["b", "c", "d"]);
    assert.match(r.out, /Not started: 3 \(token rejected\)/);

    // Repositories that exist: the git push is refused instead.
    for (const n of ["a", "b", "c", "d"]) f.gh.addRepo(`myorg/${n}`);
    const r2 = await f.run({ config });
    assert.ok(r2.authError, r2.out);
    assert.match(
      r2.authError.message,
      /^Cannot authenticate to the target GitHub at 127\.0\.0\.1:\d+ \(token from targets\[0\]\.token; needs scope "repo"\)/,
    );
    const refused = f.gh.log.filter((e) => e.status === 403 && /receive-pack/.test(e.path + e.query));
    assert.equal(refused.length, 1, "one refused push, then the run stopped");
    assertNoLeak("terminal output", r.out + r2.out);
    assertNoLeak("log file", readFileSync(f.logFile, "utf8"));
  } finally {
    await f.close();
  }
});
