import assert from "node:assert/strict";
import { join } from "node:path";
import { forEachRef } from "./support/fixture_repo.ts";
import { runBinary, tempDir } from "./support/binary.ts";

Deno.test("binary: demo runs create -> verify -> restore -> push offline and the server matches the source", async () => {
  const dir = join(tempDir("rc-demo-"), "work");
  // No network variables and a clean PATH: the demo must need nothing but git (and git-lfs for LFS).
  const r = await runBinary(["demo", "--dir", dir]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  for (
    const line of [
      "📥 Step 1/5: Cloning repository...",
      "✓ Cloned successfully (3 branches,",
      "📦 Step 3/5: Creating full archive...",
      "✓ Step 5/5: Verifying archive integrity...",
      "🔍 Verifying the carried archive",
      "📥 Step 3/5: Restoring repository from archive...",
      "🚀 Step 5/5: Pushing to target repository...",
      "✓ Branches and tags identical (5 refs)",
      "✓ LFS content byte-identical (assets/model.bin",
      "✅ Demo complete",
    ]
  ) assert.ok(r.stdout.includes(line), `missing "${line}" in:\n${r.stdout}`);
  const source = await forEachRef(join(dir, "online", "sample-app"));
  assert.match(source, /refs\/heads\/feature\/ünïcødé/);
  assert.equal(await forEachRef(join(dir, "airgap", "internal-server", "sample-app.git")), source);

  const again = await runBinary(["demo", "--dir", dir]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /holds an earlier demo/);
});
