import assert from "node:assert/strict";
import { runBinary } from "./support/binary.ts";

Deno.test("binary: version prints the tool version and exits 0", async () => {
  const r = await runBinary(["version"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^repo-cloner \d+\.\d+\.\d+/);
});

Deno.test("binary: an unknown command is a usage error, exit 2", async () => {
  const r = await runBinary(["frobnicate"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
});

Deno.test("binary: --help lists every command although commands load lazily", async () => {
  const r = await runBinary(["--help"]);
  assert.equal(r.code, 0, r.stderr);
  for (const name of ["version", "archive", "key", "sync", "demo"]) {
    assert.match(r.stdout, new RegExp(`^  ${name}\\b`, "m"), name);
  }
});

Deno.test("binary: a command's help loads it, after global options too", async () => {
  const r = await runBinary(["--log-level", "debug", "sync", "--help"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: repo-cloner sync \[options\]/m);
  assert.match(r.stdout, /--cache-dir <dir>/);
  const a = await runBinary(["archive", "create", "--help"]);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /^Usage: repo-cloner archive create/m);
});
