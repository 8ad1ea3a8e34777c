import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { LocalStorage } from "./local.ts";
import { latestArchive, listArchives, retainArchives } from "./retention.ts";

/** A local storage holding empty files with these names. */
function storeWith(names: string[]): { storage: LocalStorage; root: string } {
  const root = mkdtempSync(join(tmpdir(), "rc-retention-"));
  for (const n of names) {
    mkdirSync(dirname(join(root, n)), { recursive: true });
    writeFileSync(join(root, n), n);
  }
  return { storage: new LocalStorage(root), root };
}
const left = (root: string) => readdirSync(root).sort();

Deno.test("retainArchives() keeps the newest N of one repository and deletes older ones with sidecars", async () => {
  const { storage, root } = storeWith([
    "api-full-20250101-000000.tar.gz",
    "api-full-20250101-000000.tar.gz.minisig",
    "api-full-20250101-000000.tar.gz.report.html",
    "api-full-20250102-000000.tar.gz",
    "api-full-20250103-000000.tar.gz",
    "api-full-20250103-000000.tar.gz.minisig",
    "api-gateway-full-20240101-000000.tar.gz",
    "api-gateway-full-20240101-000000.tar.gz.minisig",
    "README.txt",
  ]);
  const r = await retainArchives(storage, "api", { keepNewest: 2 });
  assert.deepEqual(r.kept, ["api-full-20250103-000000.tar.gz", "api-full-20250102-000000.tar.gz"]);
  assert.deepEqual(r.deleted.sort(), [
    "api-full-20250101-000000.tar.gz",
    "api-full-20250101-000000.tar.gz.minisig",
    "api-full-20250101-000000.tar.gz.report.html",
  ]);
  assert.deepEqual(left(root), [
    "README.txt",
    "api-full-20250102-000000.tar.gz",
    "api-full-20250103-000000.tar.gz",
    "api-full-20250103-000000.tar.gz.minisig",
    "api-gateway-full-20240101-000000.tar.gz",
    "api-gateway-full-20240101-000000.tar.gz.minisig",
  ]);
});

Deno.test("retainArchives() keeps incremental chains restorable back to their full archive", async (t) => {
  const names = [
    "svc-full-20250101-000000.tar.gz",
    "svc-incremental-20250102-000000.tar.gz",
    "svc-incremental-20250103-000000.tar.gz",
    "svc-full-20250104-000000.tar.gz",
    "svc-incremental-20250105-000000.tar.gz",
  ];
  await t.step("N=1 with an incremental newest keeps its full base", async () => {
    const { storage, root } = storeWith(names);
    const r = await retainArchives(storage, "svc", { keepNewest: 1 });
    assert.deepEqual(r.kept, ["svc-incremental-20250105-000000.tar.gz", "svc-full-20250104-000000.tar.gz"]);
    assert.deepEqual(left(root), [
      "svc-full-20250104-000000.tar.gz",
      "svc-incremental-20250105-000000.tar.gz",
    ]);
  });
  await t.step("N=3 reaching into an older chain keeps that chain whole", async () => {
    const { storage, root } = storeWith(names);
    await retainArchives(storage, "svc", { keepNewest: 3 });
    assert.deepEqual(left(root), names.slice().sort());
  });
});

Deno.test("retainArchives() dry run deletes nothing; orphan sidecars older than every kept archive go", async () => {
  const names = [
    "x-full-20250101-000000.tar.gz.minisig",
    "x-full-20250102-000000.tar.gz",
    "x-full-20250103-000000.tar.gz",
    "x-full-20250104-000000.tar.gz.minisig",
  ];
  const { storage, root } = storeWith(names);
  const dry = await retainArchives(storage, "x", { keepNewest: 1, dryRun: true });
  assert.deepEqual(dry.deleted.sort(), [
    "x-full-20250101-000000.tar.gz.minisig",
    "x-full-20250102-000000.tar.gz",
  ]);
  assert.deepEqual(left(root), names);
  await retainArchives(storage, "x", { keepNewest: 1 });
  assert.deepEqual(left(root), ["x-full-20250103-000000.tar.gz", "x-full-20250104-000000.tar.gz.minisig"]);
});

Deno.test("retainArchives() refuses a keep count below 1", async () => {
  const { storage } = storeWith([]);
  for (const n of [0, -1, 1.5, NaN]) {
    await assert.rejects(retainArchives(storage, "x", { keepNewest: n }), RangeError);
  }
});

Deno.test("latestArchive() and listArchives() order a repository's archives newest first", async () => {
  const { storage } = storeWith([
    "web-full-20250101-000000.tar.gz",
    "web-incremental-20250301-120000.tar.gz",
    "web-full-20250201-000000.tar.gz",
    "web-app-full-20990101-000000.tar.gz",
    "sub/web-full-20990101-000000.tar.gz",
  ]);
  assert.equal((await latestArchive(storage, "web"))?.key, "web-incremental-20250301-120000.tar.gz");
  assert.equal((await latestArchive(storage, "web", { type: "full" }))?.archive.stamp, "20250201-000000");
  assert.equal(await latestArchive(storage, "nothing"), undefined);
  assert.deepEqual((await listArchives(storage, "web")).map((a) => a.archive.stamp), [
    "20250301-120000",
    "20250201-000000",
    "20250101-000000",
  ]);
});
