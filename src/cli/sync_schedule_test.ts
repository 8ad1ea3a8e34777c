import assert from "node:assert/strict";
import { Logger, type LogRecord } from "../log/logger.ts";
import { runSchedule } from "./sync_schedule.ts";

/** A schedule on a fake clock: `sleep` advances it; the signal fires after `stopAfter` cycles. */
function harness(cycleMs: number[], options: { everyMs: number; stopAfter: number; failing?: number[] }) {
  let clock = 1_000_000;
  const ctrl = new AbortController();
  const logger = new Logger({ sessionId: "sync-x" });
  const records: LogRecord[] = [];
  logger.addSink((r) => records.push(r));
  const sleeps: number[] = [];
  const ran: number[] = [];
  const run = runSchedule(async (n) => {
    ran.push(n);
    clock += cycleMs[n - 1] ?? 0;
    if (n >= options.stopAfter) ctrl.abort();
    if (options.failing?.includes(n)) throw new Error(`cycle ${n} broke`);
    await Promise.resolve();
  }, {
    everyMs: options.everyMs,
    signal: ctrl.signal,
    logger: logger.child("scheduler"),
    now: () => clock,
    sleep: (ms) => {
      sleeps.push(ms);
      clock += ms;
      return Promise.resolve();
    },
  });
  return { run, ran, sleeps, records };
}

Deno.test("runSchedule() starts a cycle every interval after the previous start, until the signal", async () => {
  const h = harness([2_000, 500, 1_000], { everyMs: 60_000, stopAfter: 3 });
  assert.equal(await h.run, 3);
  assert.deepEqual(h.ran, [1, 2, 3]);
  assert.deepEqual(h.sleeps, [58_000, 59_500], "no wait after the cycle that saw the signal");
  const next = h.records.filter((r) => r.message === "Next sync cycle scheduled");
  assert.deepEqual(next.map((r) => [r.cycle, r.wait_seconds]), [[2, 58], [3, 59.5]]);
});

Deno.test("runSchedule() starts at once after an overrun, and goes on after a failed cycle", async () => {
  const h = harness([90_000, 1_000, 1_000], { everyMs: 60_000, stopAfter: 3, failing: [2] });
  assert.equal(await h.run, 3);
  assert.deepEqual(h.sleeps, [0, 59_000]);
  assert.equal(
    h.records.find((r) => r.message === "Sync cycle took longer than the interval; the next one starts now")
      ?.cycle,
    1,
  );
  const failed = h.records.find((r) => r.message === "Sync cycle failed");
  assert.deepEqual([failed?.level, failed?.cycle, failed?.error], ["ERROR", 2, "cycle 2 broke"]);
});

Deno.test("runSchedule() runs no cycle when the signal fired before it started", async () => {
  const ctrl = new AbortController();
  ctrl.abort();
  let ran = 0;
  const n = await runSchedule(() => Promise.resolve(void ran++), {
    everyMs: 1_000,
    signal: ctrl.signal,
    logger: new Logger({ sessionId: "x" }).child("scheduler"),
  });
  assert.equal(n, 0);
  assert.equal(ran, 0);
});
