import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { StorageError } from "./errors.ts";
import { LocalStorage } from "./local.ts";
import { getToFile, hashObject, putFile } from "./transfer.ts";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "rc-local-storage-"));
}
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
/** Yields `chunks`, then fails: a source that breaks midway. */
function failingBody(chunks: number): Readable {
  let n = 0;
  return new Readable({
    read() {
      if (n++ < chunks) this.push(Buffer.alloc(64 * 1024, n));
      else this.destroy(new Error("source broke"));
    },
  });
}
/** Every file below `dir`, relative, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

Deno.test("LocalStorage put/get/stat/list/delete round trip", async () => {
  const root = join(tmp(), "archives");
  const s = new LocalStorage(root);
  const data = Buffer.from("hello archive ".repeat(10_000));
  const progress: number[] = [];
  const put = await s.put("team/x-full-20250101-000000.tar.gz", Readable.from([data]), {
    sha256: sha(data),
    size: data.length,
    onProgress: (p) => progress.push(p.bytes),
  });
  assert.equal(put.url, join(root, "team/x-full-20250101-000000.tar.gz"));
  assert.equal(put.size, data.length);
  assert.equal(put.sha256, sha(data));
  assert.equal(put.verified, "size+sha256");
  assert.equal(progress.at(-1), data.length);
  assert.deepEqual(readFileSync(put.url), data);
  assert.deepEqual(await readAll(await s.get("team/x-full-20250101-000000.tar.gz")), data);
  const info = await s.stat("team/x-full-20250101-000000.tar.gz");
  assert.equal(info?.size, data.length);
  assert.ok(info!.lastModified.getTime() > Date.now() - 3_600_000);
  await s.put("top.txt", Readable.from([Buffer.from("t")]));
  assert.deepEqual((await s.list()).map((o) => o.key), ["team/x-full-20250101-000000.tar.gz", "top.txt"]);
  assert.deepEqual((await s.list("team/")).map((o) => o.key), ["team/x-full-20250101-000000.tar.gz"]);
  assert.deepEqual((await s.list("to")).map((o) => o.key), ["top.txt"]);
  assert.deepEqual(await hashObject(s, "top.txt"), { sha256: sha("t"), size: 1 });
  await s.delete("top.txt");
  await s.delete("top.txt");
  assert.equal(await s.stat("top.txt"), undefined);
  assert.deepEqual(files(root), ["team/x-full-20250101-000000.tar.gz"]);
});

Deno.test("LocalStorage.put() replaces an existing object whole and can read it back", async () => {
  const s = new LocalStorage(tmp());
  await s.put("a", Readable.from([Buffer.from("old")]));
  const r = await s.put("a", Readable.from([Buffer.from("new!")]), { verify: "read-back" });
  assert.equal(r.verified, "read-back");
  assert.equal(readFileSync(s.url("a"), "utf8"), "new!");
  assert.deepEqual(files(s.location), ["a"]);
});

Deno.test("LocalStorage.put() leaves nothing when the body fails, mismatches or is aborted", async (t) => {
  const root = tmp();
  const s = new LocalStorage(root);
  await t.step("source breaks midway", async () => {
    await assert.rejects(s.put("x.tar.gz", failingBody(8)), (e: Error) => {
      assert.ok(e instanceof StorageError, String(e));
      assert.match(e.message, /^Cannot read the body for ".*x\.tar\.gz": Error: source broke/);
      return true;
    });
  });
  await t.step("declared sha256 differs", async () => {
    await assert.rejects(
      s.put("x.tar.gz", Readable.from([Buffer.from("abc")]), { sha256: sha("abd") }),
      (e: StorageError) =>
        e.reason === "integrity" && /its sha256 is [0-9a-f]{64}, [0-9a-f]{64} was declared/.test(e.message),
    );
  });
  await t.step("declared size differs", async () => {
    await assert.rejects(
      s.put("x.tar.gz", Readable.from([Buffer.from("abc")]), { size: 2 }),
      (e: StorageError) => e.reason === "integrity" && /larger than the declared 2 bytes/.test(e.message),
    );
    await assert.rejects(
      s.put("x.tar.gz", Readable.from([Buffer.from("abc")]), { size: 4 }),
      (e: StorageError) => e.reason === "integrity" && /3 bytes, 4 were declared/.test(e.message),
    );
  });
  await t.step("aborted", async () => {
    const ac = new AbortController();
    const body = new Readable({ read() {} });
    body.push(Buffer.alloc(1000));
    const p = s.put("x.tar.gz", body, { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await assert.rejects(p, (e: StorageError) => /aborted/.test(e.message));
  });
  assert.deepEqual(files(root), []);
});

Deno.test("LocalStorage refuses keys that escape the root and writes nothing outside", async (t) => {
  const base = tmp();
  const root = join(base, "root");
  const outside = join(base, "outside");
  mkdirSync(root);
  mkdirSync(outside);
  symlinkSync(outside, join(root, "link"));
  writeFileSync(join(outside, "secret.txt"), "outside");
  const s = new LocalStorage(root);
  for (const key of ["../x", "a/../../x", "/etc/x", "..", "a//b", "x.partial", "a\\..\\x"]) {
    await t.step(`put ${JSON.stringify(key)}`, async () => {
      await assert.rejects(s.put(key, Readable.from([Buffer.from("x")])), TypeError);
    });
  }
  await t.step("through a symlinked directory", async () => {
    await assert.rejects(s.put("link/sub/x", Readable.from([Buffer.from("x")])), /resolves outside/);
    await assert.rejects(s.put("link/x", Readable.from([Buffer.from("x")])), /resolves outside/);
    await assert.rejects(s.get("link/secret.txt"), /resolves outside/);
    await assert.rejects(s.delete("link/secret.txt"), /resolves outside/);
  });
  assert.deepEqual(files(outside), ["secret.txt"]);
  assert.deepEqual(readdirSync(base).sort(), ["outside", "root"]);
  assert.deepEqual(await s.list(), [], "symlinks are not listed");
});

Deno.test("LocalStorage reports absent objects: get throws not_found, stat is undefined", async () => {
  const s = new LocalStorage(join(tmp(), "missing-root"));
  await assert.rejects(
    s.get("x"),
    (e: StorageError) => e.reason === "not_found" && /no such file/.test(e.message),
  );
  assert.equal(await s.stat("x"), undefined);
  assert.deepEqual(await s.list(), []);
  await s.delete("x");
});

Deno.test("LocalStorage.list() never shows partial writes", async () => {
  const root = tmp();
  writeFileSync(join(root, "x.tar.gz.0a1b2c3d4e5f.partial"), "half");
  writeFileSync(join(root, "y.tar.gz"), "whole");
  assert.deepEqual((await new LocalStorage(root).list()).map((o) => o.key), ["y.tar.gz"]);
});

Deno.test("putFile() and getToFile() move files atomically with their sha256 checked", async () => {
  const dir = tmp();
  const src = join(dir, "src.bin");
  writeFileSync(src, Buffer.alloc(300_000, 7));
  const s = new LocalStorage(join(dir, "store"));
  const put = await putFile(s, "k/src.bin", { file: src });
  assert.equal(put.sha256, sha(readFileSync(src)));
  const got = await getToFile(s, "k/src.bin", { file: join(dir, "out", "copy.bin") });
  assert.equal(got.sha256, put.sha256);
  assert.equal(got.checked, false, "local objects carry no sha256 metadata");
  assert.deepEqual(readFileSync(got.file), readFileSync(src));
  await assert.rejects(
    putFile(s, "k/none", { file: join(dir, "none") }),
    (e: StorageError) => e.reason === "not_found",
  );
  await assert.rejects(
    getToFile(s, "k/none", { file: join(dir, "x") }),
    (e: StorageError) => e.reason === "not_found",
  );
  assert.equal(existsSync(join(dir, "x")), false);
});
