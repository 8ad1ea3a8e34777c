/**
 * GitHub rate limits against the forge emulator, through the real sync engine: a primary limit (403 with
 * `x-ratelimit-remaining: 0`) waits until `x-ratelimit-reset`; a 429 without any hint backs off
 * exponentially; a 403 that is not a rate limit is an auth failure (exit 5, never retried); a limit
 * that outlasts the retries fails the run with the cause named.
 */
import assert from "node:assert/strict";
import { AuthError, TransientError } from "../src/errors.ts";
import { seedHistory } from "./support/forge_repos.ts";
import { startSyncFixture } from "./support/sync_fixture.ts";

const REPOS = /^\/api\/v3\/orgs\/myorg\/repos$/;

Deno.test("rate limit: 403 with x-ratelimit-remaining 0 and no Retry-After waits until x-ratelimit-reset", async () => {
  const f = await startSyncFixture();
  try {
    seedHistory(f.gl.addRepo("backend/api").dir, { commits: 1 });
    const reset = Math.ceil(Date.now() / 1000) + 2;
    f.gh.faults.push({
      match: REPOS,
      kind: "status",
      status: 403,
      headers: {
        "x-ratelimit-remaining": "0",
        "x-ratelimit-limit": "5000",
        "x-ratelimit-reset": String(reset),
      },
      body: { message: "API rate limit exceeded for installation ID 1." },
    });
    const r = await f.run();
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(r.result.successful, 1, r.out);
    const calls = f.gh.log.filter((e) => REPOS.test(e.path));
    assert.deepEqual(calls.map((c) => c.status).slice(0, 2), [403, 200]);
    assert.ok(calls[1].at >= reset * 1000 - 50, `retried ${reset * 1000 - calls[1].at} ms before the reset`);
  } finally {
    await f.close();
  }
});

Deno.test("rate limit: 429 without Retry-After or reset headers backs off (configured base) and succeeds", async () => {
  const f = await startSyncFixture();
  try {
    seedHistory(f.gl.addRepo("backend/api").dir, { commits: 1 });
    f.gh.faults.push({
      match: REPOS,
      kind: "status",
      status: 429,
      times: 2,
      body: { message: "Too many requests" },
    });
    const r = await f.run();
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(r.result.successful, 1, r.out);
    const calls = f.gh.log.filter((e) => REPOS.test(e.path));
    assert.deepEqual(calls.map((c) => c.status).slice(0, 3), [429, 429, 200]);
    // Base 50 ms, ±50 % jitter: the second wait is 50–150 ms, and no server hint made it longer.
    const waited = calls[2].at - calls[1].at;
    assert.ok(waited >= 40 && waited < 1000, `second backoff ${waited} ms`);
  } finally {
    await f.close();
  }
});

Deno.test("rate limit: a 403 that is not a rate limit is an auth error (exit 5) and is not retried", async () => {
  const f = await startSyncFixture();
  try {
    seedHistory(f.gl.addRepo("backend/api").dir, { commits: 1 });
    f.gh.faults.push({
      match: REPOS,
      kind: "status",
      status: 403,
      headers: { "x-ratelimit-remaining": "4999" },
      body: { message: "Resource not accessible by integration" },
    });
    const r = await f.run();
    assert.ok(r.error instanceof AuthError, String(r.error));
    assert.equal((r.error as AuthError).exitCode, 5);
    assert.equal(f.gh.log.filter((e) => REPOS.test(e.path)).length, 1, "never retried");
    assert.equal(f.gh.repos.has("myorg/api"), false);
  } finally {
    await f.close();
  }
});

Deno.test("rate limit: a 429 that outlasts every retry fails the run naming the rate limit (exit 1)", async () => {
  const f = await startSyncFixture();
  try {
    seedHistory(f.gl.addRepo("backend/api").dir, { commits: 1 });
    f.gh.faults.push({
      match: REPOS,
      kind: "status",
      status: 429,
      times: 10,
      headers: { "retry-after": "0" },
      body: { message: "Too many requests" },
    });
    const r = await f.run();
    assert.ok(r.error instanceof TransientError, String(r.error));
    assert.equal((r.error as TransientError).exitCode, 1);
    assert.match((r.error as Error).message, /^Rate limited from GitHub target /);
    assert.equal(f.gh.log.filter((e) => REPOS.test(e.path)).length, 4, "first try + 3 retries");
  } finally {
    await f.close();
  }
});
