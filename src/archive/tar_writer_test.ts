import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tests/support/binary.ts";
import { ArchiveError } from "../errors.ts";
import { type TarEntry, writeTarGz } from "./tar_writer.ts";

const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

function sampleEntries(dir: string): TarEntry[] {
  const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
  writeFileSync(join(dir, "big"), big);
  writeFileSync(join(dir, "small"), "hello\n");
  return [
    { path: "manifest.json", content: new TextEncoder().encode('{"a":1}\n') },
    { path: "repo.bundle", file: join(dir, "big"), size: big.length, sha256: sha(big) },
    { path: "restore-scripts/restore.sh", file: join(dir, "small"), size: 6, sha256: sha("hello\n") },
  ];
}

Deno.test("writeTarGz() writes entries in order as regular files with fixed owner, mode and mtime", async () => {
  const dir = tempDir();
  const out = join(dir, "a.tar.gz");
  const result = await writeTarGz(out, sampleEntries(dir), { mtime: new Date("2025-10-13T14:00:00Z") });
  const bytes = readFileSync(out);
  assert.equal(result.size, bytes.length);
  assert.equal(result.sha256, sha(bytes));
  const listing = execFileSync("tar", ["-tvzf", out, "--numeric-owner", "--full-time"], { encoding: "utf8" })
    .trim().split("\n");
  assert.equal(listing.length, 3);
  assert.match(listing[0], /^-rw-r--r-- 0\/0 +8 2025-10-13 14:00:00 manifest\.json$/);
  assert.match(listing[1], /^-rw-r--r-- 0\/0 +3145745 .* repo\.bundle$/);
  assert.match(listing[2], /restore-scripts\/restore\.sh$/);
  const x = tempDir();
  execFileSync("tar", ["-xzf", out, "-C", x]);
  assert.equal(readFileSync(join(x, "restore-scripts/restore.sh"), "utf8"), "hello\n");
  assert.equal(
    sha(readFileSync(join(x, "repo.bundle"))),
    sha(readFileSync(join(dir, "big"))),
  );
});

Deno.test("writeTarGz() gives the same bytes for the same inputs", async () => {
  const dir = tempDir();
  const a = await writeTarGz(join(dir, "a.tar.gz"), sampleEntries(dir), { mtime: new Date(0) });
  const b = await writeTarGz(join(dir, "b.tar.gz"), sampleEntries(dir), { mtime: new Date(0) });
  assert.equal(a.sha256, b.sha256);
});

Deno.test("writeTarGz() aborts when a file's content or size differs from what the entry claims", async (t) => {
  const cases: Array<[string, (e: TarEntry & { file: string }) => Partial<TarEntry>, RegExp]> = [
    ["content changed", () => ({ sha256: "0".repeat(64) }), /content changed/],
    ["file grew", (e) => ({ size: (e as { size: number }).size - 1 }), /grew/],
    ["file shrank", (e) => ({ size: (e as { size: number }).size + 1 }), /shrank/],
  ];
  for (const [name, change, message] of cases) {
    await t.step(name, async () => {
      const dir = tempDir();
      const entries = sampleEntries(dir);
      const bundle = entries[1] as TarEntry & { file: string };
      entries[1] = { ...bundle, ...change(bundle) } as TarEntry;
      await assert.rejects(
        writeTarGz(join(dir, "x.tar.gz"), entries),
        (e) => e instanceof ArchiveError && message.test(e.message) && e.message.includes('"repo.bundle"'),
      );
    });
  }
});

Deno.test("writeTarGz() never replaces an existing file", async () => {
  const dir = tempDir();
  const out = join(dir, "a.tar.gz");
  writeFileSync(out, "keep me");
  await assert.rejects(writeTarGz(out, sampleEntries(dir)), /EEXIST|exists/);
  assert.equal(readFileSync(out, "utf8"), "keep me");
  assert.ok(existsSync(out));
});

Deno.test("writeTarGz() streams a file through many full-buffer waits without piling up listeners", async () => {
  // Regression: every wait for 'drain' added 'error'/'close' listeners that stayed, so a 250 MB bundle
  // printed MaxListenersExceededWarning. 24 MiB read in 1 MiB chunks waits at least 24 times.
  const dir = tempDir();
  const big = Buffer.alloc(24 * 1024 * 1024, 0x61);
  writeFileSync(join(dir, "big"), big);
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on("warning", onWarning);
  try {
    const result = await writeTarGz(
      join(dir, "a.tar.gz"),
      [{ path: "repo.bundle", file: join(dir, "big"), size: big.length, sha256: sha(big) }],
      { gzipLevel: 1 },
    );
    assert.ok(result.size > 0);
    await new Promise((r) => setTimeout(r, 10)); // warnings are emitted on a later tick
  } finally {
    process.off("warning", onWarning);
  }
  assert.deepEqual(warnings.map((w) => `${w.name}: ${w.message}`), []);
});
