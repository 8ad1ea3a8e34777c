import assert from "node:assert/strict";
import { allOrAbort } from "./all_or_abort.ts";

/** A task that resolves with `value` after `ms`, or rejects with "aborted" as soon as its signal fires. */
function task<T>(value: T, ms: number, log: string[], name: string) {
  return (signal: AbortSignal) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        log.push(`${name} done`);
        resolve(value);
      }, ms);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        log.push(`${name} aborted`);
        reject(new Error(`${name} aborted`));
      }, { once: true });
    });
}

Deno.test("allOrAbort() resolves with every result, in order, whatever order they finish in", async () => {
  const log: string[] = [];
  const [a, b] = await allOrAbort<[number, string]>([task(1, 30, log, "a"), task("two", 1, log, "b")]);
  assert.equal(a, 1);
  assert.equal(b, "two");
  assert.deepEqual(log, ["b done", "a done"]);
});

Deno.test("allOrAbort() aborts the others at the first failure, waits for them, and throws that failure", async () => {
  const log: string[] = [];
  let settled = false;
  const failing = async () => {
    await new Promise((r) => setTimeout(r, 5));
    throw new RangeError("the real cause");
  };
  const slow = (signal: AbortSignal) =>
    task(0, 10_000, log, "slow")(signal).finally(() => {
      settled = true;
    });
  await assert.rejects(allOrAbort<[number, never]>([slow, failing]), (e) => {
    assert.ok(e instanceof RangeError, "the first failure, not the abort it caused");
    assert.equal((e as Error).message, "the real cause");
    return true;
  });
  assert.ok(settled, "the aborted task had ended before allOrAbort() returned");
  assert.deepEqual(log, ["slow aborted"]);
});

Deno.test("allOrAbort() stops every task when the caller's signal fires, also one fired before the call", async () => {
  const log: string[] = [];
  const outer = new AbortController();
  const running = allOrAbort<[number, number]>(
    [task(1, 10_000, log, "a"), task(2, 10_000, log, "b")],
    outer.signal,
  );
  setTimeout(() => outer.abort(), 5);
  await assert.rejects(running, /aborted/);
  assert.deepEqual(log.sort(), ["a aborted", "b aborted"]);

  const before = new AbortController();
  before.abort();
  let sawAborted = false;
  await assert.rejects(
    allOrAbort<[void]>([(signal) => {
      sawAborted = signal.aborted;
      return signal.aborted ? Promise.reject(new Error("refused: aborted")) : Promise.resolve();
    }], before.signal),
    /refused/,
  );
  assert.ok(sawAborted);
});
