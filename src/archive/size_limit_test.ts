import assert from "node:assert/strict";
import { archiveTooLarge, formatSize, parseSize } from "./size_limit.ts";
import { refChanges, refStateSha256 } from "./ref_state.ts";

Deno.test("parseSize() reads bytes, binary and decimal units, and refuses the rest", async (t) => {
  const cases: Array<[string | number, number]> = [
    [1234, 1234],
    ["1234", 1234],
    ["500M", 500 * 1024 ** 2],
    ["2G", 2 * 1024 ** 3],
    ["1.5g", 1.5 * 1024 ** 3],
    ["4GiB", 4 * 1024 ** 3],
    ["4GB", 4e9],
    ["100 K", 102400],
    ["1T", 1024 ** 4],
  ];
  for (const [input, want] of cases) {
    await t.step(String(input), () => assert.equal(parseSize(input, "x"), want));
  }
  for (const bad of ["", "G", "-1G", "0", 0, 1.5, "2X", "lots", "1e3"]) {
    await t.step(
      `refuses ${JSON.stringify(bad)}`,
      () => assert.throws(() => parseSize(bad, "--max-size"), /--max-size/),
    );
  }
});

Deno.test("archiveTooLarge() carries the spec's words and the advice", () => {
  const e = archiveTooLarge({ name: "big", limit: 2 * 1024 ** 3, detail: "needs at least 3.0 GiB" });
  assert.equal(e.exitCode, 1);
  assert.match(
    e.message,
    /^Archive creation failed: ArchiveError: Archive size exceeds limit: the archive of "big" needs/,
  );
  assert.match(e.message, /is 2\.0 GiB\. Nothing was written\..*--type incremental.*--depth N.*--split-size/);
  assert.equal(formatSize(512), "512 B");
  assert.equal(formatSize(1536), "1.5 KiB");
});

Deno.test("refStateSha256() hashes sorted '<oid> <ref>' lines; refChanges() lists new, moved and deleted refs", async () => {
  const a = { "refs/tags/v1": "1".repeat(40), "refs/heads/main": "2".repeat(40) };
  const lines = new TextEncoder().encode(
    `${"2".repeat(40)} refs/heads/main\n${"1".repeat(40)} refs/tags/v1\n`,
  );
  // Computed independently with Web Crypto: the documented line format, in ref-name byte order.
  assert.equal(refStateSha256(a), Buffer.from(await crypto.subtle.digest("SHA-256", lines)).toString("hex"));
  const b = { "refs/heads/main": "3".repeat(40), "refs/heads/new": "1".repeat(40) };
  assert.deepEqual(refChanges(a, b), {
    changed: { "refs/heads/main": "3".repeat(40), "refs/heads/new": "1".repeat(40) },
    deleted: ["refs/tags/v1"],
  });
});
