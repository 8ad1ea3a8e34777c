import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tests/support/binary.ts";
import { ArchiveError } from "../errors.ts";
import { gunzipSync } from "node:zlib";
import { precompressEntry, type TarEntry, type TarFileEntry, writeTarGz } from "./tar_writer.ts";

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

Deno.test("precompressEntry() + writeTarGz(): a member compressed ahead gives the same tar stream, as its own gzip member", async () => {
  const dir = tempDir();
  const entries = sampleEntries(dir);
  const mtime = new Date("2025-10-13T14:00:00Z");
  await writeTarGz(join(dir, "single.tar.gz"), entries, { mtime });
  const member = await precompressEntry(
    entries[1] as TarFileEntry,
    join(dir, "bundle.member"),
    {
      mtime,
    },
  );
  assert.equal(member.memberSize, readFileSync(join(dir, "bundle.member")).length);
  assert.equal(member.sha256, (entries[1] as TarFileEntry).sha256, "the digest of the bytes compressed");
  const { sha256: _given, ...unhashed } = entries[1] as TarFileEntry;
  const hashedHere = await precompressEntry(unhashed, join(dir, "bundle2.member"), { mtime });
  assert.equal(hashedHere.sha256, member.sha256, "computed when the entry gives none");
  assert.ok(readFileSync(join(dir, "bundle2.member")).equals(readFileSync(join(dir, "bundle.member"))));
  const piece = execFileSync("gzip", ["-dc", join(dir, "bundle.member")], { maxBuffer: 64 << 20 });
  assert.equal(
    piece.length,
    512 + 3 * 1024 * 1024 + 512,
    "header, content, padding; no end-of-archive marker",
  );
  const multi = await writeTarGz(join(dir, "multi.tar.gz"), [entries[0], member, entries[2]], { mtime });
  const multiBytes = readFileSync(join(dir, "multi.tar.gz"));
  assert.equal(multi.size, multiBytes.length);
  assert.equal(multi.sha256, sha(multiBytes));
  const tarOf = (file: string) => execFileSync("gzip", ["-dc", file], { maxBuffer: 64 << 20 });
  assert.ok(
    tarOf(join(dir, "multi.tar.gz")).equals(tarOf(join(dir, "single.tar.gz"))),
    "same tar bytes (gzip)",
  );
  assert.ok(gunzipSync(multiBytes).equals(tarOf(join(dir, "single.tar.gz"))), "same tar bytes (node:zlib)");
  // Three members: each starts with the gzip signature right after the previous one's trailer.
  let members = 0;
  for (let i = 0; i + 1 < multiBytes.length; i++) {
    if (multiBytes[i] === 0x1f && multiBytes[i + 1] === 0x8b) members++;
  }
  assert.ok(members >= 3, `at least 3 gzip signatures (found ${members})`);
  const listing = execFileSync("tar", ["-tzf", join(dir, "multi.tar.gz")], { encoding: "utf8" }).trim().split(
    "\n",
  );
  assert.deepEqual(listing, ["manifest.json", "repo.bundle", "restore-scripts/restore.sh"]);
  const again = await writeTarGz(join(dir, "multi2.tar.gz"), [entries[0], member, entries[2]], { mtime });
  assert.equal(again.sha256, multi.sha256, "reproducible");
});

Deno.test("precompressEntry() checks the file against its entry; writeTarGz() checks the member's size", async () => {
  const dir = tempDir();
  const entries = sampleEntries(dir);
  const bundle = entries[1] as TarFileEntry;
  await assert.rejects(
    precompressEntry({ ...bundle, sha256: "0".repeat(64) }, join(dir, "bad.member")),
    (e) => e instanceof ArchiveError && /content changed/.test(e.message),
  );
  const member = await precompressEntry(bundle, join(dir, "ok.member"));
  for (
    const [name, memberSize, message] of [["shrank", member.memberSize + 1, /shrank/], [
      "grew",
      member.memberSize - 1,
      /grew/,
    ]] as const
  ) {
    await assert.rejects(
      writeTarGz(join(dir, `${name}.tar.gz`), [entries[0], { ...member, memberSize }]),
      (e) => e instanceof ArchiveError && message.test(e.message) && e.message.includes('"repo.bundle"'),
      name,
    );
  }
});

Deno.test("writeTarGz() stops inside a large file when its signal fires (precompressEntry too)", async () => {
  const dir = tempDir();
  const big = Buffer.alloc(24 * 1024 * 1024, 0x62);
  writeFileSync(join(dir, "big"), big);
  const entry = { path: "repo.bundle", file: join(dir, "big"), size: big.length, sha256: sha(big) };
  const controller = new AbortController();
  let progressed = 0;
  await assert.rejects(
    writeTarGz(join(dir, "a.tar.gz"), [entry], {
      gzipLevel: 1,
      signal: controller.signal,
      onProgress: (n) => {
        progressed = n;
        if (n > 0) controller.abort();
      },
    }),
    (e) => e instanceof ArchiveError && /aborted/.test(e.message),
  );
  assert.ok(progressed < big.length, `stopped before the end (${progressed} of ${big.length} bytes)`);
  const stopped = new AbortController();
  stopped.abort();
  await assert.rejects(
    precompressEntry(entry, join(dir, "m"), { signal: stopped.signal }),
    (e) => e instanceof ArchiveError && /aborted/.test(e.message),
  );
});
