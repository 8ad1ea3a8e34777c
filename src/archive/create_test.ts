import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tests/support/binary.ts";
import { buildFixtureRepo, FIXTURE_GIT, type FixtureRepo } from "../../tests/support/fixture_repo.ts";
import { ArchiveError, UsageError } from "../errors.ts";
import { git } from "../git/git.ts";
import { storageFromUrl } from "../storage/mod.ts";
import { createArchive, type CreateEvent } from "./create.ts";
import type { Manifest } from "./manifest.ts";

let fixture: Promise<FixtureRepo> | undefined;
/** One fixture for the file, with refs that must not be carried. */
function getFixture(): Promise<FixtureRepo> {
  fixture ??= (async () => {
    const fx = await buildFixtureRepo(tempDir("rc-create-fx-"), "sample-app");
    const head = (await git(["rev-parse", "HEAD"], { cwd: fx.dir })).stdout.trim();
    await git(["update-ref", "refs/pull/1/head", head], { cwd: fx.dir });
    await git(["update-ref", "refs/keep-around/" + head, head], { cwd: fx.dir });
    return fx;
  })();
  return fixture;
}

function extract(archive: string): string {
  const dir = tempDir("rc-create-x-");
  execFileSync("tar", ["-xzf", archive, "-C", dir]);
  return dir;
}

Deno.test("createArchive() carries every branch and tag and the LFS objects, nothing else", async () => {
  const fx = await getFixture();
  const out = tempDir();
  const work = tempDir();
  const events: CreateEvent["kind"][] = [];
  const r = await createArchive(fx.dir, out, { workDir: work, onEvent: (e) => events.push(e.kind) });
  assert.match(r.name, /^sample-app-full-\d{8}-\d{6}\.tar\.gz$/);
  assert.deepEqual(
    readdirSync(out).sort(),
    [r.name, `${r.name}.report.html`],
    "the archive and its review report",
  );
  assert.equal(r.report, `${r.path}.report.html`);
  assert.deepEqual(readdirSync(work), [], "the working directory is removed");
  assert.equal(r.sha256, createHash("sha256").update(readFileSync(r.path)).digest("hex"));
  assert.deepEqual(events, [
    "clone:start",
    "clone:done",
    "deps:start",
    "deps:done",
    "archive:start",
    "archive:done",
    "upload:skipped",
    "verify:start",
    "verify:done",
  ]);

  const listing = execFileSync("tar", ["-tzf", r.path], { encoding: "utf8" }).trim().split("\n");
  assert.equal(listing[0], "manifest.json", "manifest.json is the first entry");
  const dir = extract(r.path);
  const m: Manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  assert.deepEqual(listing.slice(1), m.files.map((f) => f.path), "files[] lists every other entry in order");
  const sourceRefs = (await git(
    ["for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", "refs/tags"],
    { cwd: fx.dir },
  )).stdout.trim().split("\n").map((l) => l.split(" "));
  assert.deepEqual(m.refs, Object.fromEntries(sourceRefs));
  assert.ok(Object.keys(m.refs).includes("refs/heads/feature/ünïcødé"));
  assert.ok(!Object.keys(m.refs).some((k) => k.startsWith("refs/pull") || k.startsWith("refs/keep-around")));
  assert.equal(m.source.url, fx.dir);
  assert.equal(m.source.default_branch, "main");
  assert.equal(m.source.head, m.refs["refs/heads/main"]);
  assert.equal(m.lfs.objects.length, 2);
  assert.ok(m.lfs.objects.some((o) => o.oid === fx.lfsOid));
  for (const f of m.files) {
    const bytes = readFileSync(join(dir, f.path));
    assert.equal(bytes.length, f.size, f.path);
    assert.equal(createHash("sha256").update(bytes).digest("hex"), f.sha256, f.path);
  }
  const bundleRefs = execFileSync("git", ["bundle", "list-heads", join(dir, "repo.bundle")], {
    encoding: "utf8",
  });
  assert.ok(!bundleRefs.includes("refs/pull/"), "refs/pull is not bundled");
  assert.ok(r.verification?.valid);
});

Deno.test("createArchive() copies the archive to local storage", async () => {
  const fx = await getFixture();
  const out = tempDir();
  const store = join(tempDir(), "usb", "repo-archives");
  const r = await createArchive(fx.dir, out, { storage: storageFromUrl(store), includeDependencies: false });
  assert.equal(r.stored?.url, join(store, r.name));
  assert.deepEqual(readdirSync(store), [r.name]);
  assert.equal(r.stored?.sha256, r.sha256);
  assert.equal(r.verification?.archive, join(store, r.name), "the stored copy is the one verified");
});

Deno.test("createArchive() of an empty repository writes an empty bundle that verifies", async () => {
  const src = join(tempDir(), "empty");
  mkdirSync(src);
  await git(["init", "-q", src], FIXTURE_GIT);
  const r = await createArchive(src, tempDir(), {});
  assert.equal(r.manifest.bundle.empty, true);
  assert.equal(r.manifest.bundle.size, 0);
  assert.deepEqual(r.manifest.refs, {});
  assert.equal(r.manifest.source.head, null);
  assert.ok(r.verification?.valid);
});

Deno.test("createArchive() names git-lfs when the repository needs it and it is missing", async () => {
  const fx = await getFixture();
  const bin = tempDir("rc-nolfs-bin-");
  for (const dir of ["/usr/local/bin", "/usr/bin", "/bin"]) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      if (n === "git-lfs") continue;
      try {
        symlinkSync(join(dir, n), join(bin, n));
      } catch {
        // first one wins
      }
    }
  }
  const out = tempDir();
  const saved = process.env.PATH;
  process.env.PATH = bin;
  try {
    await assert.rejects(
      createArchive(fx.dir, out, { includeDependencies: false }),
      (e) => e instanceof ArchiveError && /uses Git LFS/.test(e.message) && /Install git-lfs/.test(e.message),
    );
  } finally {
    process.env.PATH = saved;
  }
  assert.deepEqual(readdirSync(out), [], "no archive, no partial file");
});

Deno.test("createArchive() refuses bad sources before touching the output directory", async (t) => {
  const cases: Array<[string, (e: unknown) => boolean]> = [
    ["https://user:tok-123456@example.invalid/o/r.git", (e) => e instanceof UsageError],
    ["ext::sh -c id", (e) => e instanceof UsageError],
  ];
  for (const [source, check] of cases) {
    await t.step(source, async () => {
      const out = join(tempDir(), "archives");
      await assert.rejects(createArchive(source, out, {}), check);
      assert.throws(() => readdirSync(out), /ENOENT/);
    });
  }
  await t.step("a directory that is not a repository", async () => {
    const out = tempDir();
    await assert.rejects(
      createArchive(tempDir(), out, {}),
      (e) => e instanceof ArchiveError && /Cannot clone/.test(e.message),
    );
    assert.deepEqual(readdirSync(out), []);
  });
  await t.step("incremental is refused until it is implemented", async () => {
    const fx = await getFixture();
    await assert.rejects(createArchive(fx.dir, tempDir(), { type: "incremental" }), UsageError);
  });
});
