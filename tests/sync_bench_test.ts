/**
 * The sync benchmark stays runnable: its smoke mode runs the shell loop and two configurations of the
 * compiled binary against the emulators, checks every target against the source, and writes the
 * summary. (The real benchmark, 50 repositories, is never part of the test suite.)
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { BINARY, tempDir } from "./support/binary.ts";

const ROOT = resolve(import.meta.dirname ?? ".", "..");

Deno.test("bench/sync_bench.ts --smoke measures the loop and each configuration, first and second run", async () => {
  const out = tempDir("rc-sync-bench-");
  try {
    const argv = ["run", "-A", "--no-check", join(ROOT, "bench/sync_bench.ts"), "--smoke", "--rounds", "2"];
    argv.push("--binary", BINARY, "--parallel", "default,3", "--out", out, "--label", "t");
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((done) => {
      const child = spawn(Deno.execPath(), argv, { stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      child.stderr.on("data", (d) => err += d);
      child.on("close", (c) => done({ code: c ?? 1, stderr: err }));
    });
    assert.equal(code, 0, stderr);
    const r = JSON.parse(readFileSync(join(out, "results-t.json"), "utf8"));
    assert.equal(r.repositories, 4);
    assert.equal(r.loop.samples.length, 2);
    assert.deepEqual(r.configs.map((c: { name: string }) => c.name), ["default", "max_parallel 3"]);
    for (const c of r.configs) {
      assert.equal(c.first.samples.length, 2);
      assert.ok(c.first.wall > 0 && c.second.wall > 0 && c.first.cpu > 0);
      assert.ok(c.speedup_first_vs_loop > 0 && c.second_as_percent_of_first > 0);
      assert.match(c.binary.sha256, /^[0-9a-f]{64}$/);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
