import assert from "node:assert/strict";
import type { Manifest } from "./manifest.ts";
import { parseManifest } from "./manifest_check.ts";
import { serializeManifest } from "./manifest_json.ts";

const H = (c: string) => c.repeat(64);

function sample(): Manifest {
  return {
    format_version: 1,
    archive_id: "0b7c2f9e-1111-4222-8333-944445555666",
    type: "full",
    created_at: "2025-10-13T14:00:00.000Z",
    tool: { name: "repo-cloner", version: "0.1.0" },
    repository: { name: "backend-api" },
    source: { url: "https://gitlab.com/myorg/backend-api", default_branch: "main", head: "a".repeat(40) },
    refs: { "refs/heads/main": "a".repeat(40), "refs/heads/feature/ünïcødé": "a".repeat(40) },
    deleted_refs: [],
    shallow: null,
    bundle: { path: "repo.bundle", sha256: H("1"), size: 10, prerequisites: [], empty: false },
    base: null,
    lfs: { objects: [{ oid: H("2"), size: 3 }], inherited: [] },
    dependencies: {},
    files: [
      { path: "repo.bundle", sha256: H("1"), size: 10 },
      { path: `lfs/objects/22/22/${H("2")}`, sha256: H("2"), size: 3 },
      { path: "restore-scripts/restore.sh", sha256: H("3"), size: 5 },
    ],
  };
}

Deno.test("serializeManifest() writes one line per file entry, parseable JSON, sealed", () => {
  const text = serializeManifest(sample());
  const lines = text.split("\n").filter((l) => l.startsWith('    {"path":'));
  assert.deepEqual(lines, [
    `    {"path":"repo.bundle","sha256":"${H("1")}","size":10},`,
    `    {"path":"lfs/objects/22/22/${H("2")}","sha256":"${H("2")}","size":3},`,
    `    {"path":"restore-scripts/restore.sh","sha256":"${H("3")}","size":5}`,
  ]);
  const parsed = JSON.parse(text);
  assert.deepEqual(parsed.files, sample().files);
  assert.match(text, /^ {2}"manifest_sha256": "[0-9a-f]{64}",$/m);
  assert.match(text, /^ {2}"repository": \{\n {4}"name": "backend-api"\n {2}\},$/m);
  // The verifier's own parser accepts it, seal included.
  const plan = parseManifest(new TextEncoder().encode(text));
  assert.equal(plan.manifest.archive_id, sample().archive_id);
});

Deno.test("serializeManifest() output fails the verifier's seal check after any edit", () => {
  const text = serializeManifest(sample()).replace('"size":10', '"size":11');
  assert.throws(() => parseManifest(new TextEncoder().encode(text)), /seal|sha256/);
});

Deno.test("serializeManifest() refuses paths sha256sum or the archive layout cannot carry", async (t) => {
  for (const path of ['dependencies/python/a"b.whl', "../escape", "/abs", "a\\b"]) {
    await t.step(path, () => {
      const m = sample();
      m.files.push({ path, sha256: H("4"), size: 1 });
      assert.throws(() => serializeManifest(m), (e) => e instanceof TypeError && e.message.includes("entry"));
    });
  }
});
