import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tests/support/binary.ts";
import { hostileCases } from "../../tests/support/hostile_archives.ts";
import {
  type ArchiveParts,
  manifestText,
  sampleParts,
  writeArchive,
} from "../../tests/support/make_archive.ts";
import { RepoClonerError, VerificationError } from "../errors.ts";
import { extractVerified } from "./extract.ts";
import { EMPTY_SHA256 } from "./manifest_check.ts";
import { verifyArchive } from "./verify.ts";

function listTree(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTree(p, `${prefix}${name}/`));
    else out.push(`${prefix}${name}`);
  }
  return out;
}

Deno.test("extractVerified() writes exactly the verified entries into a fresh staging directory", async () => {
  const parts = sampleParts();
  const dir = tempDir("rc-extract-");
  const archive = await writeArchive(dir, "sample-full-20251013-140000.tar.gz", parts);
  const out = join(dir, "out");
  mkdirSync(out);
  writeFileSync(join(out, "keep.txt"), "existing content");
  const r = await extractVerified(archive, out);
  assert.ok(r.stagingDir.startsWith(out + "/.repo-cloner-staging-"));
  assert.deepEqual(listTree(r.stagingDir), ["manifest.json", ...parts.entries.map((e) => e.path)].sort());
  for (const e of parts.entries) {
    assert.deepEqual(readFileSync(join(r.stagingDir, e.path)), Buffer.from(e.content));
  }
  assert.equal(readFileSync(join(r.stagingDir, "manifest.json"), "utf8"), manifestText(parts.manifest));
  assert.equal(statSync(join(r.stagingDir, "restore-scripts/restore.sh")).mode & 0o777, 0o755);
  assert.equal(statSync(join(r.stagingDir, "repo.bundle")).mode & 0o777, 0o644);
  assert.equal(readFileSync(join(out, "keep.txt"), "utf8"), "existing content");
  assert.equal(r.manifest.archive_id, parts.manifest.archive_id);
  assert.equal(r.report.checks.lfs.files, 1);
});

Deno.test("extractVerified() refuses every hostile archive, removes staging, writes nothing outside", async (t) => {
  const { cases } = hostileCases();
  const archives = tempDir("rc-hostile-src-");
  // Cases that verify (their attack needs git to show) are covered by tests/archive_hostile_test.ts.
  for (const c of cases.filter((x) => !x.verifies)) {
    await t.step(c.name, async () => {
      const root = tempDir("rc-hostile-");
      const out = join(root, "out");
      const file = c.bytes === null
        ? join(archives, "missing.tar.gz")
        : c.bytes === "dir"
        ? archives
        : join(archives, `${c.name}.tar.gz`);
      if (c.bytes instanceof Uint8Array) writeFileSync(file, c.bytes);
      await assert.rejects(extractVerified(file, out), (e: unknown) => {
        assert.ok(e instanceof RepoClonerError, `not a typed error: ${e}`);
        assert.equal(e.exitCode, c.code);
        assert.match(e.message, c.message);
        assert.equal(e.message.split("\n").length, 1);
        return true;
      });
      assert.deepEqual(readdirSync(out), [], "staging must be removed");
      assert.deepEqual(readdirSync(root), ["out"], "nothing may be written beside the output directory");
    });
  }
  assert.equal(existsSync("/tmp/rc-escape.txt"), false);
});

Deno.test("verifyArchive() accepts an empty bundle as absent or as a zero-byte entry", async (t) => {
  const base = sampleParts({ lfs: false, dependencies: false });
  const emptyBundle = (keepEntry: boolean): ArchiveParts => {
    const p = {
      ...base,
      manifest: structuredClone(base.manifest),
      entries: base.entries.filter((e) => e.path !== "repo.bundle"),
    };
    if (keepEntry) p.entries.unshift({ path: "repo.bundle", content: new Uint8Array(0) });
    p.manifest.refs = {};
    p.manifest.source = { ...p.manifest.source, head: null };
    p.manifest.bundle = {
      path: "repo.bundle",
      sha256: EMPTY_SHA256,
      size: 0,
      prerequisites: [],
      empty: true,
    };
    p.manifest.files = p.entries.map((e) => ({
      path: e.path,
      sha256: e.path === "repo.bundle"
        ? EMPTY_SHA256
        : base.manifest.files.find((f) => f.path === e.path)!.sha256,
      size: e.content.length,
    }));
    return p;
  };
  for (const keep of [false, true]) {
    await t.step(keep ? "zero-byte entry" : "absent", async () => {
      const file = await writeArchive(tempDir(), "empty.tar.gz", emptyBundle(keep));
      const r = await verifyArchive(file);
      assert.equal(r.checks.bundle.empty, true);
      assert.equal(r.checks.bundle.refs, 0);
    });
  }
  await t.step("a zero-byte bundle not marked empty is refused", async () => {
    const p = emptyBundle(true);
    p.manifest.bundle.empty = false;
    const file = await writeArchive(tempDir(), "bad.tar.gz", p);
    await assert.rejects(verifyArchive(file), VerificationError);
  });
});

Deno.test("verifyArchive() reads archives of sha256 repositories (v3 bundles)", async () => {
  const parts = sampleParts({ objectFormat: "sha256", lfs: false });
  const file = await writeArchive(tempDir(), "sha256.tar.gz", parts);
  const r = await verifyArchive(file);
  assert.equal(r.checks.bundle.version, 3);
  assert.equal(r.checks.bundle.object_format, "sha256");
});
