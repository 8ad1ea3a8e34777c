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
