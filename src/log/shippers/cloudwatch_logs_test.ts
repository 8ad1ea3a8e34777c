import assert from "node:assert/strict";
import { type CloudWatchEvent, eventSize, planPutLogEvents, toCloudWatchEvent } from "./cloudwatch_logs.ts";

const T0 = Date.parse("2025-10-13T15:30:00Z");
const ev = (timestamp: number, message = "x"): CloudWatchEvent => ({ timestamp, message });

Deno.test("planPutLogEvents() sorts and splits by count, bytes (message + 26) and 24 h span", async (t) => {
  await t.step("count: 25 000 events → 10 000 + 10 000 + 5 000", () => {
    const plan = planPutLogEvents(Array.from({ length: 25_000 }, (_, i) => ev(T0 + i)));
    assert.deepEqual(plan.map((b) => b.length), [10_000, 10_000, 5_000]);
  });
  await t.step("bytes: exactly 1 048 576 fits, one byte more does not", () => {
    const msg = "a".repeat(1_048_576 / 4 - 26);
    assert.equal(planPutLogEvents([0, 1, 2, 3].map((i) => ev(T0 + i, msg))).length, 1);
    const plan = planPutLogEvents([0, 1, 2, 3].map((i) => ev(T0 + i, i === 3 ? msg + "b" : msg)));
    assert.deepEqual(plan.map((b) => b.length), [3, 1]);
    for (const b of plan) assert.ok(b.reduce((n, e) => n + eventSize(e), 0) <= 1_048_576);
  });
  await t.step("UTF-8 bytes count, not characters", () => {
    assert.equal(eventSize(ev(T0, "é")), 2 + 26);
  });
  await t.step("order: sorted by timestamp, stable for equal ones", () => {
    const plan = planPutLogEvents([ev(T0 + 5, "c"), ev(T0, "a"), ev(T0 + 5, "d"), ev(T0 + 1, "b")]);
    assert.deepEqual(plan[0].map((e) => e.message), ["a", "b", "c", "d"]);
  });
  await t.step("span: events 24 h apart go to separate calls", () => {
    const day = 24 * 3600 * 1000;
    const plan = planPutLogEvents([ev(T0), ev(T0 + day - 1), ev(T0 + day), ev(T0 + day + 5)]);
    assert.deepEqual(plan.map((b) => b.length), [2, 2]);
  });
});

Deno.test("toCloudWatchEvent() keeps the JSON line and shortens records over 256 KB to valid JSON", () => {
  const rec = { timestamp: "2025-10-13T15:30:01.456Z", level: "INFO", logger: "repo_cloner.x", message: "m" };
  const e = toCloudWatchEvent(rec);
  assert.equal(e.timestamp, Date.parse(rec.timestamp));
  assert.deepEqual(JSON.parse(e.message), rec);
  const big = toCloudWatchEvent({ ...rec, blob: "z".repeat(300_000), repository: "r" });
  assert.ok(eventSize(big) <= 256 * 1024);
  const parsed = JSON.parse(big.message);
  assert.equal(parsed.truncated, true);
  assert.equal(parsed.repository, "r");
  assert.ok(parsed.original_bytes > 300_000);
});
