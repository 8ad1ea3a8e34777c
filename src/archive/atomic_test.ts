import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tests/support/binary.ts";
import { ArchiveError } from "../errors.ts";
import { commitPartial } from "./atomic.ts";

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
