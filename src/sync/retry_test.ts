import assert from "node:assert/strict";
import { backoffDelay, withRetry } from "./retry.ts";
import { AuthError, TransientError } from "../errors.ts";

Deno.test("withRetry() retries transient errors with growing delays, then succeeds", async () => {
  const waits: number[] = [];
  let calls = 0;
  const v = await withRetry(() => {
    calls++;
    if (calls < 3) throw new TransientError("HTTP 502");
    return Promise.resolve("ok");
  }, { baseMs: 100, random: () => 0.5, sleep: (ms) => (waits.push(ms), Promise.resolve()) });
  assert.equal(v, "ok");
  assert.equal(calls, 3);
  assert.deepEqual(waits, [100, 200]);
});

Deno.test("withRetry() never retries an AuthError and gives up after maxRetries", async () => {
  let calls = 0;
  await assert.rejects(
    withRetry(() => (calls++, Promise.reject(new AuthError("bad token"))), {
      sleep: () => Promise.resolve(),
    }),
    AuthError,
  );
  assert.equal(calls, 1);
  calls = 0;
  await assert.rejects(
    withRetry(() => (calls++, Promise.reject(new TransientError("reset"))), {
      maxRetries: 3,
      sleep: () => Promise.resolve(),
    }),
    TransientError,
  );
  assert.equal(calls, 4);
});

Deno.test("backoffDelay() honours the server's hint, jitters and caps", () => {
  assert.equal(backoffDelay(1, { baseMs: 100, retryAfterMs: 5000, random: () => 0 }), 5000);
  assert.equal(backoffDelay(3, { baseMs: 100, random: () => 0 }), 200);
  assert.equal(backoffDelay(3, { baseMs: 100, random: () => 0.999 }), 600);
  assert.equal(backoffDelay(30, { baseMs: 1000, maxMs: 60_000, random: () => 0.5 }), 60_000);
});
