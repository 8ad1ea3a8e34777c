import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tests/support/binary.ts";
import { buildFixtureRepo, forEachRef } from "../../tests/support/fixture_repo.ts";
import { createArchive, type CreateArchiveResult } from "./create.ts";

let shared: Promise<{ source: string; archive: CreateArchiveResult; lfsOid: string }> | undefined;
function getArchive() {
  shared ??= (async () => {
    const fx = await buildFixtureRepo(tempDir("rc-sh-fx-"), "sample-app");
    const archive = await createArchive(fx.dir, tempDir(), { includeDependencies: false });
    return { source: fx.dir, archive, lfsOid: fx.lfsOid };
  })();
  return shared;
}

/** A PATH with the usual tools but no git-lfs (and no deno, node or bun): "only sh, tar, sha256sum, git". */
function pathWithoutLfs(): string {
  const bin = tempDir("rc-sh-bin-");
  for (const dir of ["/usr/local/bin", "/usr/bin", "/bin"]) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      if (["git-lfs", "deno", "node", "bun"].includes(n)) continue;
      try {
        symlinkSync(join(dir, n), join(bin, n));
      } catch {
        // first one wins
      }
    }
  }
  return bin;
}

/** Runs restore.sh with a minimal environment. */
function runScript(args: string[], options: { cwd: string; path?: string }) {
  const r = spawnSync("sh", args, {
    cwd: options.cwd,
    env: {
      PATH: options.path ?? "/usr/local/bin:/usr/bin:/bin",
      HOME: tempDir("rc-sh-home-"),
      TMPDIR: "/tmp",
    },
    encoding: "utf8",
  });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

function extract(archive: string): string {
  const dir = tempDir("rc-sh-x-");
  execFileSync("tar", ["-xzf", archive, "-C", dir]);
  return dir;
}

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

Deno.test("restore.sh rebuilds the repository from an extracted archive with LFS content", async () => {
  const { source, archive, lfsOid } = await getArchive();
  const root = extract(archive.path);
  const cwd = tempDir();
  const r = runScript([join(root, "restore-scripts", "restore.sh")], { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /all files match/);
  assert.match(r.stdout, /Restored sample-app into \.\/sample-app \(4 branches, 4 tags, 2 LFS objects\)/);
  const repo = join(cwd, "sample-app");
  assert.equal(await forEachRef(repo), await forEachRef(source));
  assert.equal(sha(join(repo, "assets", "logo.bin")), lfsOid);
  assert.equal(
    execFileSync("git", ["-C", repo, "symbolic-ref", "HEAD"], { encoding: "utf8" }).trim(),
    "refs/heads/main",
  );
});

Deno.test("restore.sh works from the archive file with only sh, tar, sha256sum and git (no git-lfs)", async () => {
  const { source, archive, lfsOid } = await getArchive();
  const cwd = tempDir();
  const script = join(cwd, "restore.sh");
  writeFileSync(script, execFileSync("tar", ["-xzOf", archive.path, "restore-scripts/restore.sh"]));
  const r = runScript([script, archive.path, "out/repo"], { cwd, path: pathWithoutLfs() });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /git-lfs is not installed; LFS files are pointers/);
  const repo = join(cwd, "out", "repo");
  assert.equal(await forEachRef(repo), await forEachRef(source));
  assert.match(readFileSync(join(repo, "assets", "logo.bin"), "utf8"), new RegExp(`oid sha256:${lfsOid}`));
  const stored = join(repo, ".git", "lfs", "objects", lfsOid.slice(0, 2), lfsOid.slice(2, 4), lfsOid);
  assert.equal(sha(stored), lfsOid);
  assert.deepEqual(readdirSync(cwd).sort(), ["out", "restore.sh"], "the temporary extraction is removed");
});

Deno.test("restore.sh refuses a damaged or padded archive before cloning", async (t) => {
  const { archive } = await getArchive();
  const cases: Array<[string, (root: string) => void, RegExp]> = [
    ["a flipped byte in the bundle", (root) => {
      const f = join(root, "repo.bundle");
      const b = readFileSync(f);
      b[b.length - 30] ^= 1;
      writeFileSync(f, b);
    }, /does not match its sha256/],
    ["a changed restore script", (root) => {
      appendFileSync(join(root, "restore-scripts", "restore.sh"), "\n# edited\n");
    }, /does not match its sha256/],
    ["an unlisted extra file", (root) => {
      mkdirSync(join(root, "dependencies"));
      writeFileSync(join(root, "dependencies", "evil.sh"), "echo pwned\n");
    }, /holds 7 files but manifest.json lists 6/], // review.json and sbom.cdx.json are entries too
    ["an edited manifest", (root) => {
      const f = join(root, "manifest.json");
      writeFileSync(f, readFileSync(f, "utf8").replace('"type": "full"', '"type": "FULL"'));
    }, /seal does not match/],
  ];
  for (const [name, damage, message] of cases) {
    await t.step(name, () => {
      const root = extract(archive.path);
      damage(root);
      const cwd = tempDir();
      const r = runScript([join(root, "restore-scripts", "restore.sh")], { cwd });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, message);
      assert.deepEqual(readdirSync(cwd), [], "nothing restored");
    });
  }
});

Deno.test("restore.sh never writes into a non-empty destination", async () => {
  const { archive } = await getArchive();
  const root = extract(archive.path);
  const cwd = tempDir();
  mkdirSync(join(cwd, "sample-app"));
  writeFileSync(join(cwd, "sample-app", "precious"), "mine");
  const r = runScript([join(root, "restore-scripts", "restore.sh")], { cwd });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /is not empty/);
  assert.deepEqual(readdirSync(join(cwd, "sample-app")), ["precious"]);
  assert.ok(!existsSync(join(cwd, ".sample-app.restore-partial")));
});
