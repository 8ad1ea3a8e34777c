import assert from "node:assert/strict";
import { Batcher } from "./batcher.ts";

function batcher(
  send: (b: number[]) => Promise<void>,
  extra: Partial<ConstructorParameters<typeof Batcher<number>>[0]> = {},
) {
  const warnings: string[] = [];
  const b = new Batcher<number>({
    send,
    maxBatchCount: 3,
    maxBatchBytes: 1_000,
    sizeOf: () => 10,
    flushIntervalMs: 3_600_000,
    onWarning: (m) => warnings.push(m),
    ...extra,
  });
  return { b, warnings };
}

Deno.test("Batcher sends full batches in order and the rest on close", async () => {
  const got: number[][] = [];
  const { b } = batcher((batch) => {
    got.push(batch);
    return Promise.resolve();
  });
  for (let i = 0; i < 7; i++) b.push(i);
  await b.close();
  assert.deepEqual(got, [[0, 1, 2], [3, 4, 5], [6]]);
  assert.deepEqual(b.stats, { sent: 7, dropped: 0, failedBatches: 0 });
  b.push(99);
  assert.equal(b.stats.dropped, 1, "pushes after close are counted as dropped");
});

Deno.test("Batcher keeps a failed batch for the next round and drops it after maxTries", async () => {
  let fail = true;
  const got: number[][] = [];
  const { b, warnings } = batcher((batch) => {
    if (fail) return Promise.reject(new Error("HTTP 503"));
    got.push(batch);
    return Promise.resolve();
  }, { maxTries: 2 });
  b.push(1);
  await b.flush();
  assert.equal(b.stats.failedBatches, 1);
  fail = false;
  await b.flush();
  assert.deepEqual(got, [[1]]);
  assert.deepEqual(warnings, ["cannot deliver 1 event(s): HTTP 503", "delivering again"]);
  fail = true;
  b.push(2);
  await b.flush();
  await b.flush();
  assert.equal(b.stats.dropped, 1);
  assert.ok(warnings.includes("dropped 1 event(s)"));
  await b.close();
});

Deno.test("Batcher bounds its queue by count and bytes, dropping the oldest", async () => {
  const got: number[] = [];
  const { b } = batcher((batch) => {
    got.push(...batch);
    return Promise.resolve();
  }, { maxBatchCount: 100, maxQueued: 5 });
  for (let i = 0; i < 8; i++) b.push(i);
  await b.close();
  assert.deepEqual(got, [3, 4, 5, 6, 7]);
  assert.equal(b.stats.dropped, 3);
  const { b: c } = batcher(() => Promise.resolve(), { maxBatchCount: 100, maxQueuedBytes: 25 });
  for (let i = 0; i < 4; i++) c.push(i);
  await c.close();
  assert.equal(c.stats.dropped, 2);
});

Deno.test("Batcher.close() gives up after closeTimeoutMs on a hanging endpoint", async () => {
  let release = () => {};
  const hang = new Promise<void>((r) => release = r);
  const { b, warnings } = batcher(() => hang, { closeTimeoutMs: 50 });
  b.push(1);
  await b.close();
  assert.ok(warnings.includes("gave up waiting after 50 ms"), warnings.join());
  release();
});
