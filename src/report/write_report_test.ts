import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { manifestSchema } from "../archive/manifest.ts";
import { writeReportBeside } from "./write_report.ts";

const manifest = manifestSchema.parse({
  format_version: 1,
  archive_id: "0f0e0d0c-0000-4000-8000-000000000002",
  type: "full",
  created_at: "2025-10-13T14:00:00.000Z",
  tool: { name: "repo-cloner", version: "0.1.0" },
  repository: { name: "app" },
  source: { url: "/srv/app.git", default_branch: null, head: null },
  refs: {},
  bundle: { path: "repo.bundle", sha256: "e".repeat(64), size: 0, prerequisites: [], empty: true },
  base: null,
  lfs: { objects: [] },
  dependencies: {},
  files: [],
});

Deno.test("writeReportBeside() writes <archive>.report.html atomically with the signature status beside it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rc-write-report-"));
  try {
    const archive = join(dir, "app-full-20251013-140000.tar.gz");
    writeFileSync(archive, "not really an archive");
    const unsigned = await writeReportBeside(archive, {
      manifest,
      review: null,
      sha256: "a".repeat(64),
      size: 21,
      verified: true,
    });
    assert.equal(unsigned.path, `${archive}.report.html`);
    assert.equal(unsigned.model.signature.status, "unsigned");
    assert.match(readFileSync(unsigned.path, "utf8"), /<span class="badge bad">unsigned<\/span>/);

    writeFileSync(`${archive}.minisig`, "signature made by this run");
    const signed = await writeReportBeside(archive, {
      manifest,
      review: null,
      sha256: "a".repeat(64),
      size: 21,
      verified: true,
      signatureKeyId: "43C43F9A4913702A",
    });
    assert.deepEqual(signed.model.signature, {
      status: "unverified",
      file: "app-full-20251013-140000.tar.gz.minisig",
      key_id: "43C43F9A4913702A",
    });
    const html = readFileSync(signed.path, "utf8");
    assert.match(
      html,
      /present, not verified<\/span> app-full-20251013-140000\.tar\.gz\.minisig \(made with key 43C43F9A4913702A\)/,
    );
    assert.deepEqual(readdirSync(dir).sort(), [
      "app-full-20251013-140000.tar.gz",
      "app-full-20251013-140000.tar.gz.minisig",
      "app-full-20251013-140000.tar.gz.report.html",
    ], "replaced in place, no temporary file left");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
