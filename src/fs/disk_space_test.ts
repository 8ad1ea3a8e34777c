import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tests/support/binary.ts";
import { onSmallFs } from "../../tests/support/small_fs.ts";
import { RepoClonerError } from "../errors.ts";
import { writeFileAtomic } from "./atomic_write.ts";
import { assertFreeSpace, DiskSpaceError, freeBytes } from "./disk_space.ts";
import { explainSystemError } from "./system_error.ts";

Deno.test("freeBytes() reads the nearest existing ancestor of a path that does not exist yet", () => {
  const dir = tempDir();
  const free = freeBytes(join(dir, "not", "yet", "there"));
  assert.ok(typeof free === "number" && free > 0);
});

Deno.test("on a 5 MiB filesystem: the check refuses 8 MiB up front; a write that overflows is ENOSPC and cleans up", async () => {
  await onSmallFs(5, (fs) => {
    const free = freeBytes(fs.dir)!;
    assert.ok(free > 4 << 20 && free <= 5 << 20, String(free));
    assertFreeSpace(fs.dir, 1 << 20, { action: "restore" });
    assert.throws(
      () => assertFreeSpace(join(fs.dir, "out"), 8 << 20, { action: "restore archive" }),
      (e) =>
        e instanceof DiskSpaceError && e.exitCode === 1 && e.neededBytes === 8 << 20 &&
        e.message.startsWith(`Cannot restore archive: not enough free space in "${join(fs.dir, "out")}"`) &&
        e.message.includes(`needs about ${8 << 20} bytes, ${free} available`),
    );
    let thrown: unknown;
    try {
      writeFileAtomic(join(fs.dir, "big.bin"), new Uint8Array(8 << 20));
    } catch (e) {
      thrown = e;
    }
    assert.equal((thrown as NodeJS.ErrnoException).code, "ENOSPC");
    assert.deepEqual(readdirSync(fs.dir), [], "the partial file was removed");
    const explained = explainSystemError(thrown);
    assert.ok(explained instanceof RepoClonerError && explained.errorType === "DiskFull");
    assert.match(
      explained.message,
      /^Cannot write .*: no space left on the device \(ENOSPC\)\. Free some space/,
    );
  });
});

Deno.test("explainSystemError() names read-only and permission problems and leaves other errors alone", () => {
  const rofs = Object.assign(new Error("EROFS: read-only file system, open '/mnt/x'"), {
    code: "EROFS",
    syscall: "open",
    path: "/mnt/x",
  });
  const e = explainSystemError(rofs) as RepoClonerError;
  assert.equal(
    e.message,
    'Cannot open "/mnt/x": the filesystem is read-only (EROFS). Choose a writable directory',
  );
  assert.equal(e.exitCode, 1);
  const plain = new Error("something else");
  assert.equal(explainSystemError(plain), plain);
  const typed = new RepoClonerError("x");
  assert.equal(explainSystemError(typed), typed);
});
