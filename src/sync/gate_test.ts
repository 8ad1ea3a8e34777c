import assert from "node:assert/strict";
import { checkWidth, Gate, GateClosed } from "./gate.ts";

/** A promise with its resolver. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => resolve = r);
  return { promise, resolve };
}

Deno.test("Gate holds at most `limit` at once and lets waiters in by arrival order", async () => {
  const gate = new Gate(2);
  const releases = Array.from({ length: 5 }, deferred);
  const started: number[] = [];
  let peak = 0;
  const runs = releases.map((d, i) =>
    gate.run(async () => {
      started.push(i);
      peak = Math.max(peak, gate.held);
      await d.promise;
      return i;
    })
  );
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(started, [0, 1]);
  releases[1].resolve();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(started, [0, 1, 2]);
  for (const d of releases) d.resolve();
  assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3, 4]);
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  assert.equal(peak, 2);
  assert.equal(gate.held, 0);
});

Deno.test("Gate gives the place back when the holder throws, and an aborted waiter never takes one", async () => {
  const gate = new Gate(1);
  await assert.rejects(gate.run(() => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(gate.held, 0);

  const hold = deferred();
  const first = gate.run(() => hold.promise);
  const ctrl = new AbortController();
  let ran = false;
  const waiter = gate.run(() => {
    ran = true;
    return Promise.resolve();
  }, ctrl.signal);
  ctrl.abort(new Error("stop"));
  await assert.rejects(waiter, /stop/);
  const third = gate.run(() => Promise.resolve("third"));
  hold.resolve();
  await first;
  assert.equal(await third, "third");
  assert.equal(ran, false);
  assert.equal(gate.held, 0);
  const aborted = AbortSignal.abort(new Error("already"));
  await assert.rejects(gate.run(() => Promise.resolve(), aborted), /already/);
  assert.equal(gate.held, 0);
});

Deno.test("checkWidth() is four times max_parallel, at most 64, never below max_parallel", () => {
  assert.equal(checkWidth(1), 4);
  assert.equal(checkWidth(8), 32);
  assert.equal(checkWidth(16), 64);
  assert.equal(checkWidth(100), 100);
  assert.throws(() => new Gate(0), RangeError);
});

Deno.test("a closed Gate refuses its waiters and every later run; holders finish", async () => {
  const gate = new Gate(1);
  const hold = deferred();
  const holder = gate.run(async () => {
    await hold.promise;
    return "held";
  });
  let started = false;
  const waiter = gate.run(() => {
    started = true;
    return Promise.resolve();
  });
  gate.close(new Error("token rejected"));
  await assert.rejects(waiter, (e) => e instanceof GateClosed && /token rejected/.test(e.message));
  await assert.rejects(gate.run(() => Promise.resolve()), GateClosed);
  hold.resolve();
  assert.equal(await holder, "held");
  assert.equal(started, false);
  assert.equal(gate.held, 0);
});

Deno.test("Gate.run's closeWhen closes the gate before the place is given back, from the value or the error", async () => {
  for (const outcome of ["value", "error"] as const) {
    const gate = new Gate(1);
    const hold = deferred();
    let started = false;
    const holder = gate.run(
      async () => {
        await hold.promise;
        if (outcome === "error") throw new Error("refused");
        return "refused";
      },
      undefined,
      ({ value, error }) => value ?? (error as Error | undefined)?.message,
    );
    const waiter = gate.run(() => {
      started = true;
      return Promise.resolve();
    });
    hold.resolve();
    await (outcome === "error" ? assert.rejects(holder, /refused/) : holder);
    await assert.rejects(waiter, (e) => e instanceof GateClosed && /refused/.test(e.message));
    assert.equal(started, false, outcome);
    assert.equal(gate.held, 0);
  }
});
