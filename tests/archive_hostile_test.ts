import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBinary, tempDir } from "./support/binary.ts";
import { hostileCases } from "./support/hostile_archives.ts";

const { valid, cases } = hostileCases();

Deno.test("binary: the unmodified sample archive verifies (so every refusal below is earned)", async () => {
  const dir = tempDir("rc-hostile-bin-");
  writeFileSync(join(dir, "valid.tar.gz"), valid);
  const r = await runBinary(["archive", "verify", join(dir, "valid.tar.gz")]);
  assert.equal(r.code, 0, r.stderr);
});

Deno.test("binary: archive verify refuses every hostile archive with its exit code and a one-line cause", async (t) => {
  const dir = tempDir("rc-hostile-bin-");
  for (const c of cases) {
    await t.step(`${c.name}: ${c.attack}`, async () => {
      const file = c.bytes === null
        ? join(dir, "missing.tar.gz")
        : c.bytes === "dir"
        ? dir
        : join(dir, `${c.name}.tar.gz`);
      if (c.bytes instanceof Uint8Array) writeFileSync(file, c.bytes);
      const r = await runBinary(["archive", "verify", file]);
      assert.equal(r.code, c.code, r.stderr);
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /^✗ Cannot verify archive "[^"]+": /);
      assert.match(lines[0], c.message);
      if (c.code === 3) assert.match(r.stdout, /✗ Archive is NOT valid/);
    });
  }
});
