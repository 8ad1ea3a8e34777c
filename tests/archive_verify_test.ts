import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { cleanPath, runBinary, tempDir } from "./support/binary.ts";
import { sampleParts, writeArchive } from "./support/make_archive.ts";

const NAME = "sample-full-20251013-140000.tar.gz";

/** A PATH with the usual tools but no git at all (and no deno/node/bun). */
function pathWithoutGit(): string {
  const dir = tempDir("rc-nogit-path-");
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const from = cleanPath();
  for (const name of readdirSync(from)) {
    if (!name.startsWith("git")) symlinkSync(join(from, name), join(bin, name));
  }
  return bin;
}

const parts = sampleParts();
const dir = tempDir("rc-verify-bin-");
const archive = await writeArchive(dir, NAME, parts);

Deno.test("binary: archive verify prints the spec's check list and exits 0, with no git on PATH", async () => {
  const path = pathWithoutGit();
  assert.equal(existsSync(join(path, "git")), false);
  assert.equal(existsSync(join(path, "sha256sum")), true);
  const log = join(dir, "verify.log");
  const r = await runBinary(["--log-file", log, "archive", "verify", archive], { env: { PATH: path } });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines[0], `🔍 Verifying archive ${NAME}`);
  assert.deepEqual(lines.slice(1, 7), [
    "   ✓ Archive is valid",
    "      Manifest: ✓",
    "      Git bundle: ✓",
    "      LFS objects: ✓ (1 file)",
    "      Dependencies: ✓ (6 files)",
    "      Restore scripts: ✓ (1 file)",
  ]);
  assert.match(lines[7], /^ {6}Duration: \d+\.\ds$/);
  assert.equal(r.stderr, "");
  const records = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const done = records.find((x) => x.message === "Archive is valid");
  assert.equal(done.logger, "repo_cloner.archive_verify");
  assert.equal(done.status, "success");
  assert.equal(done.archive_id, parts.manifest.archive_id);
  assert.match(done.session_id, /^verify-\d{8}-\d{6}$/);
});

Deno.test("binary: archive verify --json prints one result object; ARCHIVE_PATH is the default", async () => {
  const r = await runBinary(["--json", "archive", "verify"], { env: { ARCHIVE_PATH: archive } });
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.valid, true);
  assert.equal(result.archive_id, parts.manifest.archive_id);
  assert.equal(result.checks.lfs.files, 1);
  assert.equal(result.checks.bundle.refs, Object.keys(parts.manifest.refs).length + 1);
  assert.equal(result.entries, parts.entries.length + 1);
});

Deno.test("binary: archive verify of a bad archive exits 3 naming the entry, --json says why", async () => {
  const p = sampleParts({ lfs: false, dependencies: false });
  p.entries.find((e) => e.path === "restore-scripts/restore.sh")!.content[3] ^= 1;
  const bad = await writeArchive(dir, "bad.tar.gz", p);
  const r = await runBinary(["archive", "verify", bad]);
  assert.equal(r.code, 3);
  assert.match(r.stdout, /✗ Archive is NOT valid\n {6}First bad entry: "restore-scripts\/restore\.sh"/);
  assert.equal(
    r.stderr,
    '✗ Cannot verify archive "bad.tar.gz": entry "restore-scripts/restore.sh" sha256 mismatch. ' +
      "The archive is damaged or was tampered with: get a fresh copy\n",
  );
  const j = await runBinary(["--json", "archive", "verify", bad]);
  assert.equal(j.code, 3);
  const result = JSON.parse(j.stdout);
  assert.deepEqual([result.valid, result.entry, result.exit_code], [false, "restore-scripts/restore.sh", 3]);
});

Deno.test("binary: archive verify without an archive is a usage error (exit 2)", async () => {
  const r = await runBinary(["archive", "verify"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Cannot verify archive: no archive given\. Pass ARCHIVE or set ARCHIVE_PATH/);
});

Deno.test("binary: archive inspect prints the manifest summary; --json prints the manifest", async () => {
  const r = await runBinary(["archive", "inspect", archive]);
  assert.equal(r.code, 0, r.stderr);
  for (
    const want of [
      `📦 Archive ${NAME}`,
      `   ID: ${parts.manifest.archive_id}`,
      "   Type: full",
      "   Source: https://git.example.invalid/org/sample.git",
      "   Default branch: main",
      "   Refs: 3 branches, 2 tags",
      "  refs/heads/feature/ü-naïve",
      "   LFS objects: 1 (4.9 KB)",
      "      python: included (1 package)",
      `   Files: ${parts.entries.length + 1} entries`,
      "   Not verified",
    ]
  ) assert.ok(r.stdout.includes(want), `missing ${JSON.stringify(want)} in:\n${r.stdout}`);
  const j = await runBinary(["--json", "archive", "inspect", archive]);
  assert.equal(j.code, 0, j.stderr);
  const result = JSON.parse(j.stdout);
  assert.deepEqual(result.manifest.refs, parts.manifest.refs);
  assert.equal(result.verified, false);
  const bad = await runBinary(["archive", "inspect", join(dir, "nope.tar.gz")]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Cannot inspect archive "nope\.tar\.gz": no such file/);
});
