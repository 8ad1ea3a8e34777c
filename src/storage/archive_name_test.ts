import assert from "node:assert/strict";
import { parseArchiveName, sidecarOf } from "./archive_name.ts";

Deno.test("parseArchiveName() splits repo, type and stamp, hyphenated repos included", async (t) => {
  const cases: [string, ReturnType<typeof parseArchiveName>][] = [
    ["backend-api-full-20251013-140000.tar.gz", {
      name: "backend-api-full-20251013-140000.tar.gz",
      repo: "backend-api",
      type: "full",
      stamp: "20251013-140000",
    }],
    ["api-full-x-incremental-20250101-000001.tar.gz", {
      name: "api-full-x-incremental-20250101-000001.tar.gz",
      repo: "api-full-x",
      type: "incremental",
      stamp: "20250101-000001",
    }],
    ["api-full-2025-140000.tar.gz", undefined],
    ["api-full-20251013-140000.tar", undefined],
    ["api-full-20251013-140000.tar.gz.minisig", undefined],
    ["full-20251013-140000.tar.gz", undefined],
    ["notes.txt", undefined],
  ];
  for (const [name, expected] of cases) {
    await t.step(name, () => assert.deepEqual(parseArchiveName(name), expected));
  }
});

Deno.test("sidecarOf() names the archive a sidecar belongs to", () => {
  assert.equal(sidecarOf("a-full-20250101-000000.tar.gz.minisig"), "a-full-20250101-000000.tar.gz");
  assert.equal(sidecarOf("a-full-20250101-000000.tar.gz.report.html"), "a-full-20250101-000000.tar.gz");
  assert.equal(sidecarOf("a-full-20250101-000000.tar.gz"), undefined);
  assert.equal(sidecarOf("random.tar.gz.minisig"), undefined);
});
