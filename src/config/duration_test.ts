import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "./duration.ts";

Deno.test("parseDuration() reads s, m, h, d and combinations", async (t) => {
  const cases: [string, number][] = [
    ["30s", 30_000],
    ["15m", 900_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["1d", 86_400_000],
    [" 2M ", 120_000],
    ["7d", 604_800_000],
  ];
  for (const [text, ms] of cases) {
    await t.step(text, () => assert.equal(parseDuration(text, "--every"), ms));
  }
});

Deno.test("parseDuration() refuses other forms with a message naming the option", async (t) => {
  for (const text of ["", "15", "m", "15x", "1.5h", "-1m", "0s", "8d", "15m junk", "1h 30m"]) {
    await t.step(JSON.stringify(text), () => {
      assert.throws(() => parseDuration(text, "--every"), (e: Error) => {
        assert.ok(e instanceof RangeError);
        assert.match(e.message, /^Cannot use --every "/);
        return true;
      });
    });
  }
});

Deno.test("formatDuration() writes what parseDuration() reads", () => {
  for (const ms of [1_000, 30_000, 900_000, 5_400_000, 90_061_000]) {
    assert.equal(parseDuration(formatDuration(ms), "x"), ms);
  }
  assert.equal(formatDuration(5_400_000), "1h30m");
});
