import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tests/support/binary.ts";
import { ArchiveError } from "../errors.ts";
import { commitPartial, writeFileAtomic } from "./atomic_write.ts";

Deno.test("commitPartial() gives the partial file its final name", () => {
  const dir = tempDir();
  writeFileSync(join(dir, "a.tar.gz.partial"), "data");
  commitPartial(join(dir, "a.tar.gz.partial"), join(dir, "a.tar.gz"));
  assert.deepEqual(readdirSync(dir), ["a.tar.gz"]);
  assert.equal(readFileSync(join(dir, "a.tar.gz"), "utf8"), "data");
});

Deno.test("commitPartial() never replaces an existing file", () => {
  const dir = tempDir();
  writeFileSync(join(dir, "a.tar.gz"), "older archive");
  writeFileSync(join(dir, "a.tar.gz.partial"), "new");
  assert.throws(
    () => commitPartial(join(dir, "a.tar.gz.partial"), join(dir, "a.tar.gz")),
    (e) => e instanceof ArchiveError && /already exists/.test(e.message),
  );
  assert.equal(readFileSync(join(dir, "a.tar.gz"), "utf8"), "older archive");
  assert.ok(existsSync(join(dir, "a.tar.gz.partial")));
});

Deno.test("writeFileAtomic() replaces by rename, leaves no temporary file, keeps the mode", () => {
  const dir = tempDir();
  const path = join(dir, "state.json");
  writeFileAtomic(path, "old");
  writeFileAtomic(path, "new", { mode: 0o600 });
  assert.deepEqual(readdirSync(dir), ["state.json"]);
  assert.equal(readFileSync(path, "utf8"), "new");
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

Deno.test("writeFileAtomic() with overwrite false refuses an existing file (EEXIST) and cleans up", () => {
  const dir = tempDir();
  const path = join(dir, "key");
  writeFileSync(path, "keep me");
  assert.throws(
    () => writeFileAtomic(path, "other", { overwrite: false }),
    (e) => (e as NodeJS.ErrnoException).code === "EEXIST",
  );
  assert.deepEqual(readdirSync(dir), ["key"]);
  assert.equal(readFileSync(path, "utf8"), "keep me");
});

Deno.test("writeFileAtomic() creates the directory only when asked", () => {
  const dir = tempDir();
  assert.throws(() => writeFileAtomic(join(dir, "a", "b.txt"), "x"), /ENOENT/);
  writeFileAtomic(join(dir, "a", "b.txt"), "x", { createDir: true });
  assert.equal(readFileSync(join(dir, "a", "b.txt"), "utf8"), "x");
});
