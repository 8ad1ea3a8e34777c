import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { tempDir } from "../../tests/support/binary.ts";
import { sampleParts, tarBytes } from "../../tests/support/make_archive.ts";
import { VerificationError } from "../errors.ts";
import { openGzipFile } from "./gzip_source.ts";
import { verifyArchive } from "./verify.ts";
import { VolumeWriter } from "./volume_writer.ts";
import { volumeIndexPathFor, volumeName } from "./volumes.ts";

let sample: Promise<Uint8Array> | undefined;
const archiveBytes = () => sample ??= tarBytes(sampleParts()).then((b) => gzipSync(b));

async function split(bytes: Uint8Array, capacity: number, chunk = 777) {
  const dir = tempDir("rc-volumes-");
  const w = new VolumeWriter(join(dir, "x-full-20250101-000000.tar.gz"), capacity);
  for (let i = 0; i < bytes.length; i += chunk) {
    await new Promise<void>((res, rej) => w.write(bytes.subarray(i, i + chunk), (e) => e ? rej(e) : res()));
  }
  await new Promise<void>((res) => w.end(res));
  return { dir, done: await w.commit(), writer: w };
}

Deno.test("VolumeWriter cuts a stream into volumes of at most its capacity, committed with an index", async (t) => {
  const bytes = await archiveBytes();
  for (const capacity of [1000, 4096, bytes.length, bytes.length + 1, Math.ceil(bytes.length / 3)]) {
    await t.step(`capacity ${capacity}`, async () => {
      const { dir, done } = await split(bytes, capacity);
      const n = Math.ceil(bytes.length / capacity);
      assert.equal(done.volumes.length, n);
      assert.deepEqual(
        done.volumes.map((v) => v.name),
        Array.from({ length: n }, (_, i) => volumeName(done.index.archive, i + 1)),
      );
      assert.ok(done.volumes.every((v) => v.size <= capacity && v.size > 0));
      assert.deepEqual(Buffer.concat(done.volumes.map((v) => readFileSync(v.path))), Buffer.from(bytes));
      assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".partial")), [], "no partials left");
      assert.equal(done.size, bytes.length);
      const report = await verifyArchive(done.indexPath);
      assert.equal(report.archive_bytes, bytes.length);
      assert.equal((await verifyArchive(done.volumes[0].path)).manifest_sha256, report.manifest_sha256);
    });
  }
});

Deno.test("openGzipFile() over volumes names a missing, truncated or corrupt volume and a bad index", async (t) => {
  const bytes = await archiveBytes();
  const fresh = () => split(bytes, 2048);
  const fails = async (path: string, re: RegExp) => {
    const e = await verifyArchive(path).then(() => undefined, (e) => e);
    assert.ok(e instanceof VerificationError, String(e));
    assert.match(e.message, re);
    return e as VerificationError;
  };
  await t.step("missing", async () => {
    const { done } = await fresh();
    Deno.removeSync(done.volumes[2].path);
    const e = await fails(done.indexPath, /volume ".*\.003" \(3 of \d+\) is missing/);
    assert.equal(e.entry, done.volumes[2].name);
  });
  await t.step("truncated", async () => {
    const { done } = await fresh();
    writeFileSync(done.volumes[1].path, readFileSync(done.volumes[1].path).subarray(1));
    await fails(done.indexPath, /volume ".*\.002" has 2047 bytes, the index lists 2048/);
  });
  await t.step("one flipped byte in any volume", async () => {
    const { done } = await fresh();
    for (const i of [0, Math.floor(done.volumes.length / 2), done.volumes.length - 1]) {
      const v = done.volumes[i];
      const original = readFileSync(v.path);
      const bad = Buffer.from(original);
      bad[bad.length >> 1] ^= 1;
      writeFileSync(v.path, bad);
      const e = await fails(
        done.indexPath,
        new RegExp(`volume "${v.name.replaceAll(".", "\\.")}" .* is corrupt`),
      );
      assert.equal(e.entry, v.name);
      writeFileSync(v.path, original);
    }
  });
  await t.step("index inconsistent or not JSON", async () => {
    const { done } = await fresh();
    const index = JSON.parse(readFileSync(done.indexPath, "utf8"));
    writeFileSync(done.indexPath, JSON.stringify({ ...index, size: index.size + 1 }));
    await fails(done.indexPath, /volume index ".*" is inconsistent/);
    writeFileSync(done.indexPath, "not json");
    await fails(done.indexPath, /volume index ".*" is not valid JSON/);
  });
  await t.step("index missing is an open failure (usage, exit 2)", async () => {
    const { done } = await fresh();
    Deno.removeSync(done.indexPath);
    const e = await verifyArchive(done.volumes[0].path).then(() => undefined, (e) => e);
    assert.equal(e?.exitCode, 2);
    assert.match(e.message, /the volume index ".*\.volumes\.json" is missing/);
  });
  await t.step("a plain file is not a volume set", async () => {
    assert.equal(volumeIndexPathFor("/a/x.tar.gz"), undefined);
    assert.equal(volumeIndexPathFor("/a/x.tar.gz.007"), "/a/x.tar.gz.volumes.json");
    const dir = tempDir();
    writeFileSync(join(dir, "x.tar.gz"), bytes);
    assert.equal((await openGzipFile(join(dir, "x.tar.gz"))).size, bytes.length);
  });
});

Deno.test("VolumeWriter.abort() removes everything written, also after commit failed on a taken name", async () => {
  const bytes = await archiveBytes();
  const dir = tempDir("rc-volumes-");
  const final = join(dir, "x.tar.gz");
  writeFileSync(join(dir, "x.tar.gz.002"), "someone else's file");
  const w = new VolumeWriter(final, 1000);
  await new Promise<void>((res) => w.end(Buffer.from(bytes), res));
  await assert.rejects(w.commit(), /a file with that name already exists/);
  assert.deepEqual(readdirSync(dir).sort(), ["x.tar.gz.002"], "volume 1 removed again, the other file kept");
  assert.equal(readFileSync(join(dir, "x.tar.gz.002"), "utf8"), "someone else's file");
  assert.ok(!existsSync(final + ".volumes.json"));
});
