import assert from "node:assert/strict";
import { clockAfter } from "./archive_target.ts";

Deno.test("clockAfter() starts at least one second after the newest stored stamp", () => {
  const future = new Date(Date.now() + 3600_000);
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${future.getUTCFullYear()}${p(future.getUTCMonth() + 1)}${p(future.getUTCDate())}-` +
    `${p(future.getUTCHours())}${p(future.getUTCMinutes())}${p(future.getUTCSeconds())}`;
  const clock = clockAfter(stamp);
  const first = clock().getTime();
  assert.ok(first >= Math.floor(future.getTime() / 1000) * 1000 + 1000, "after the stored stamp");
  assert.ok(clock().getTime() >= first, "and it keeps running");
  const now = Date.now();
  assert.ok(
    Math.abs(clockAfter("20000101-000000")().getTime() - now) < 5000,
    "an old stamp leaves the clock alone",
  );
  assert.ok(Math.abs(clockAfter(undefined)().getTime() - now) < 5000);
});
