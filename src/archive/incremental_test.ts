import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tests/support/binary.ts";
import { buildFixtureRepo, FIXTURE_GIT, forEachRef } from "../../tests/support/fixture_repo.ts";
import { startS3Server } from "../../tests/support/s3_server.ts";
import { ArchiveError, UsageError, VerificationError } from "../errors.ts";
import { git } from "../git/git.ts";
import { putFile, storageFromUrl } from "../storage/mod.ts";
import { readArchiveBase } from "./base_archive.ts";
import { createArchive, type CreateArchiveResult } from "./create.ts";
import { restoreArchive } from "./restore.ts";

interface World {
  dir: string;
  source: string;
  full: CreateArchiveResult;
  inc: CreateArchiveResult;
}

let world: Promise<World> | undefined;
function getWorld(): Promise<World> {
  world ??= (async () => {
    const dir = tempDir("rc-incremental-");
    const fx = await buildFixtureRepo(dir, "sample-app", { lfsBytes: 4096 });
    let t = Date.parse("2025-03-01T00:00:00Z");
    const now = () => new Date(t += 1000);
    const out = join(dir, "archives");
    const full = await createArchive(fx.dir, out, { includeDependencies: false, now });
    writeFileSync(join(fx.dir, "next.txt"), "next\n");
    await git(["add", "-A"], { ...FIXTURE_GIT, cwd: fx.dir });
    await git(["commit", "-q", "-m", "next"], { ...FIXTURE_GIT, cwd: fx.dir });
    const inc = await createArchive(fx.dir, out, {
      includeDependencies: false,
      now,
      type: "incremental",
      base: full.path,
    });
    return { dir, source: fx.dir, full, inc };
  })();
  return world;
}

const testOpts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "readArchiveBase() reads the same manifest from an archive, its manifest.json, a split index and S3",
  testOpts,
  async () => {
    const w = await getWorld();
    const want = await readArchiveBase(w.full.path);
    assert.equal(want.manifest.archive_id, w.full.manifest.archive_id);
    const manifestFile = join(w.dir, "base-manifest.json");
    writeFileSync(manifestFile, execFileSync("tar", ["-xzOf", w.full.path, "manifest.json"]));
    assert.equal((await readArchiveBase(manifestFile)).manifestSha256, want.manifestSha256);
    const split = await createArchive(w.source, join(w.dir, "split"), {
      includeDependencies: false,
      splitSize: 64 * 1024,
    });
    assert.ok(split.path.endsWith(".volumes.json"));
    assert.equal((await readArchiveBase(split.path)).manifest.archive_id, split.manifest.archive_id);

    const server = await startS3Server({ buckets: ["archives"] });
    const saved = new Map<string, string | undefined>();
    try {
      const env = { ...server.awsEnv("secret"), AWS_ENDPOINT_URL: server.endpoint };
      // The SDK's default credential chain reads the process environment, as it does in the CLI.
      for (const [k, v] of Object.entries(env)) {
        saved.set(k, Deno.env.get(k));
        Deno.env.set(k, v);
      }
      const storage = storageFromUrl("s3://archives/team", { env });
      await putFile(storage, "full.tar.gz", { file: w.full.path });
      await putFile(storage, "full-manifest.json", { file: manifestFile });
      for (const key of ["full.tar.gz", "full-manifest.json"]) {
        const got = await readArchiveBase(`s3://archives/team/${key}`, { env });
        assert.equal(got.manifestSha256, want.manifestSha256, key);
      }
      await assert.rejects(
        readArchiveBase("s3://archives/team/none.tar.gz", { env }),
        /no such object/,
      );
    } finally {
      for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
      await server.close();
    }
  },
);

Deno.test("readArchiveBase() refuses a missing path (exit 2) and a file that is no manifest (exit 3)", async () => {
  const w = await getWorld();
  await assert.rejects(
    readArchiveBase(join(w.dir, "nope.tar.gz")),
    (e) => e instanceof UsageError && /no such file/.test(e.message),
  );
  const junk = join(w.dir, "junk.json");
  writeFileSync(junk, '{"format_version": 1}');
  await assert.rejects(
    readArchiveBase(junk),
    (e) => e instanceof VerificationError && /manifest\.json/.test(e.message),
  );
});

Deno.test("createArchive() checks type, base and depth together, and the base's repository", async () => {
  const w = await getWorld();
  const out = join(w.dir, "never");
  await assert.rejects(createArchive(w.source, out, { type: "incremental" }), /no base given/);
  await assert.rejects(
    createArchive(w.source, out, { base: w.full.path }),
    /Cannot use a base archive for a full archive/,
  );
  await assert.rejects(
    createArchive(w.source, out, { type: "incremental", base: w.full.path, depth: 1 }),
    (e) => e instanceof UsageError && /--depth/.test(e.message),
  );
  await assert.rejects(
    createArchive(w.source, out, { type: "incremental", base: w.full.path, name: "another-app" }),
    /the base is an archive of "sample-app"/,
  );
  assert.throws(() => readdirSync(out), "nothing was created");
});

Deno.test("restoreArchive(--into) refuses a repository that is not at the base's state, or has local changes", async () => {
  const w = await getWorld();
  const out = join(w.dir, "restored-into");
  const r = await restoreArchive(w.full.path, { outputDir: out, installDependencies: false });
  const before = await forEachRef(r.repository);

  writeFileSync(join(r.repository, "README.md"), "local edit\n");
  await assert.rejects(
    restoreArchive(w.inc.path, { into: r.repository, installDependencies: false }),
    (e) => e instanceof ArchiveError && /uncommitted changes/.test(e.message),
  );
  await git(["checkout", "--", "README.md"], { cwd: r.repository });

  await git(["branch", "local-work"], { cwd: r.repository });
  await assert.rejects(
    restoreArchive(w.inc.path, { into: r.repository, installDependencies: false }),
    (e) => e instanceof VerificationError && /are not those of the base archive/.test(e.message),
  );
  await git(["branch", "-D", "local-work"], { cwd: r.repository });
  assert.equal(await forEachRef(r.repository), before, "nothing changed");
  assert.deepEqual(readdirSync(out).sort(), ["sample-app"], "no staging left");

  const done = await restoreArchive(w.inc.path, { into: r.repository, installDependencies: false });
  assert.deepEqual(done.chain, [`1/1 incremental on ${w.full.manifest.archive_id}`]);
  assert.equal(await forEachRef(r.repository), await forEachRef(w.source));
  assert.equal(readFileSync(join(r.repository, "next.txt"), "utf8"), "next\n", "working tree moved along");
});

Deno.test("restoreArchive(--into) updates a bare repository (no checkout) and --target pushes only the new commit", async () => {
  const w = await getWorld();
  const bare = join(w.dir, "mirror.git");
  await git(["init", "-q", "--bare", bare]);
  const fullOut = join(w.dir, "restored-for-bare");
  const r = await restoreArchive(w.full.path, {
    outputDir: fullOut,
    installDependencies: false,
    target: bare,
  });
  await git(["fetch", "-q", r.repository, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"], {
    cwd: bare,
  });
  const target = join(w.dir, "target.git");
  await git(["clone", "-q", "--bare", bare, target]);
  const done = await restoreArchive(w.inc.path, { into: bare, installDependencies: false, target });
  assert.equal(await forEachRef(bare), await forEachRef(w.source));
  assert.equal(done.pushed?.updated, 1, "only main moved");
  assert.equal(await forEachRef(target), await forEachRef(w.source));
});
