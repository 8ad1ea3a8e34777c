import assert from "node:assert/strict";
import { runPool, settleInOrder } from "./pool.ts";

Deno.test("settleInOrder() returns the values in argument order", async () => {
  const late = new Promise<string>((done) => setTimeout(() => done("late"), 5));
  assert.deepEqual(await settleInOrder([late, Promise.resolve(2)]), ["late", 2]);
});

Deno.test("settleInOrder() throws the first rejection in argument order, after all settle", async () => {
  let settled = false;
  const slowFailure = new Promise<void>((_, fail) => setTimeout(() => fail(new Error("first")), 5));
  const quickFailure = Promise.reject(new Error("second"));
  const slowSuccess = new Promise<void>((done) =>
    setTimeout(() => {
      settled = true;
      done();
    }, 10)
  );
  await assert.rejects(settleInOrder([slowFailure, quickFailure, slowSuccess]), /first/);
  assert.equal(settled, true, "nothing is left running");
});

Deno.test("runPool() keeps at most `limit` workers in flight", async () => {
  let live = 0;
  let peak = 0;
  const seen: number[] = [];
  await runPool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    peak = Math.max(peak, ++live);
    await new Promise((done) => setTimeout(done, 1));
    seen.push(n);
    live--;
  });
  assert.equal(peak, 3);
  assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5, 6, 7]);
});
