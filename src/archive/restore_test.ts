import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { closeSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tests/support/binary.ts";
import { buildFixtureRepo, FIXTURE_GIT, forEachRef } from "../../tests/support/fixture_repo.ts";
import { ArchiveError, VerificationError } from "../errors.ts";
import { git } from "../git/git.ts";
import { createArchive, type CreateArchiveResult } from "./create.ts";
import { restoreArchive } from "./restore.ts";

let shared: Promise<{ source: string; archive: CreateArchiveResult; lfsOid: string }> | undefined;
function getArchive() {
  shared ??= (async () => {
    const fx = await buildFixtureRepo(tempDir("rc-restore-fx-"), "sample-app");
    const archive = await createArchive(fx.dir, tempDir(), { includeDependencies: false });
    return { source: fx.dir, archive, lfsOid: fx.lfsOid };
  })();
  return shared;
}

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

Deno.test("restoreArchive() rebuilds every branch and tag with LFS content checked out", async () => {
  const { source, archive, lfsOid } = await getArchive();
  const out = tempDir();
  const r = await restoreArchive(archive.path, { outputDir: out });
  assert.equal(r.repository, join(out, "sample-app"));
  assert.deepEqual(readdirSync(out), ["sample-app"], "staging and partial directories are gone");
  assert.equal(await forEachRef(r.repository), await forEachRef(source));
  assert.equal((await git(["symbolic-ref", "HEAD"], { cwd: r.repository })).stdout.trim(), "refs/heads/main");
  assert.equal(sha(join(r.repository, "assets", "logo.bin")), lfsOid);
  assert.equal(
    (await git(["status", "--porcelain"], { cwd: r.repository })).stdout,
    "",
    "clean working tree",
  );
  assert.equal(statSync(r.repository).mode & 0o777, 0o755);
  await git(["fsck", "--full"], { cwd: r.repository });
  assert.equal(r.pushed, undefined);
  assert.doesNotMatch(readFileSync(join(r.repository, ".git", "config"), "utf8"), /remote|extraheader/i);
});

Deno.test("restoreArchive() pushes branches, tags and LFS objects to a local target and never deletes", async () => {
  const { source, archive, lfsOid } = await getArchive();
  const target = join(tempDir(), "server.git");
  mkdirSync(target);
  await git(["init", "-q", "--bare", target]);
  // A branch only the target has must survive (no --prune).
  const other = join(tempDir(), "other");
  mkdirSync(other);
  await git(["init", "-q", "-b", "keep-me", other], FIXTURE_GIT);
  writeFileSync(join(other, "x"), "x");
  await git(["add", "x"], { ...FIXTURE_GIT, cwd: other });
  await git(["commit", "-q", "-m", "x"], { ...FIXTURE_GIT, cwd: other });
  await git(["push", "-q", target, "keep-me"], { cwd: other });

  const r = await restoreArchive(archive.path, { outputDir: tempDir(), target });
  assert.equal(r.pushed?.refs, Object.keys(archive.manifest.refs).length);
  const targetRefs = await forEachRef(target);
  assert.equal(targetRefs.replace(/^.* refs\/heads\/keep-me\n/m, ""), await forEachRef(source));
  assert.match(targetRefs, /refs\/heads\/keep-me/);
  assert.equal(sha(join(target, "lfs", "objects", lfsOid.slice(0, 2), lfsOid.slice(2, 4), lfsOid)), lfsOid);

  // A second restore of the same archive pushes nothing new and succeeds.
  const again = await restoreArchive(archive.path, { outputDir: tempDir(), target });
  assert.equal(again.pushed?.updated, 0);
});

Deno.test("restoreArchive() refuses a non-empty destination and changes nothing", async () => {
  const { archive } = await getArchive();
  const out = tempDir();
  mkdirSync(join(out, "sample-app"));
  writeFileSync(join(out, "sample-app", "precious.txt"), "mine");
  await assert.rejects(
    restoreArchive(archive.path, { outputDir: out }),
    (e) => e instanceof ArchiveError && /not empty/.test(e.message),
  );
  assert.deepEqual(readdirSync(out), ["sample-app"]);
  assert.deepEqual(readdirSync(join(out, "sample-app")), ["precious.txt"]);
  assert.equal(readFileSync(join(out, "sample-app", "precious.txt"), "utf8"), "mine");
});

Deno.test("restoreArchive() refuses a corrupted archive before anything is restored", async () => {
  const { archive } = await getArchive();
  const bad = join(tempDir(), archive.name);
  writeFileSync(bad, readFileSync(archive.path));
  const fd = openSync(bad, "r+");
  const at = Math.floor(statSync(bad).size / 2);
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  writeSync(fd, Buffer.from([b[0] ^ 0x40]), 0, 1, at);
  closeSync(fd);
  const out = tempDir();
  await assert.rejects(restoreArchive(bad, { outputDir: out }), VerificationError);
  assert.deepEqual(readdirSync(out), [], "staging removed, nothing restored");
});
