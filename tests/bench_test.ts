/**
 * The benchmark tooling stays runnable: the generator is deterministic and its add mode adds exactly N
 * commits; the harness's smoke mode runs both sides of every comparison on the compiled binary.
 * (The real benchmark is `deno task bench`, never part of the test suite.)
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { ensureAddedRepo, ensureBenchRepo, type RepoParams } from "../bench/gen_repo.ts";
import { BINARY, tempDir } from "./support/binary.ts";

const ROOT = resolve(import.meta.dirname ?? ".", "..");

function git(gitDir: string, args: string[]): string {
  const r = spawnSync("git", ["--git-dir", gitDir, ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

Deno.test("ensureBenchRepo() builds the same repository for the same parameters; ensureAddedRepo() adds N commits", async () => {
  const params: RepoParams = { commits: 150, randomMb: 1, branches: 5, tagEvery: 40, seed: 3 };
  const quiet = { log: () => {} };
  const dirs = [tempDir("rc-bench-a-"), tempDir("rc-bench-b-")];
  try {
    const a = await ensureBenchRepo(params, { outDir: dirs[0], ...quiet });
    const b = await ensureBenchRepo(params, { outDir: dirs[1], ...quiet });
    assert.equal(a.commits, 150);
    assert.equal(git(a.path, ["for-each-ref"]), git(b.path, ["for-each-ref"]));
    const refs = git(a.path, ["for-each-ref", "--format=%(refname) %(objecttype)"]);
    assert.match(refs, /refs\/heads\/feature\/données commit/);
    assert.match(refs, /refs\/tags\/v0\.0\.0 tag/); // annotated
    assert.match(refs, /refs\/tags\/v0\.1\.0 commit/); // lightweight
    assert.ok(a.size_pack_bytes >= 1_000_000, `pack holds the random assets (${a.size_pack_bytes} bytes)`);
    const again = await ensureBenchRepo(params, {
      outDir: join(a.path, ".."),
      log: () => assert.fail("rebuilt"),
    });
    assert.equal(again.head, a.head, "the cached repository is reused");

    const added = await ensureAddedRepo(a, { count: 10, ...quiet });
    assert.equal(basename(added.path), basename(a.path), "same repository name as the base");
    assert.equal(added.commits, 160);
    assert.equal(git(added.path, ["rev-list", "--count", `${a.head}..main`]).trim(), "10");
    assert.equal(
      git(added.path, ["rev-parse", "refs/tags/bench-add-10"]),
      git(added.path, ["rev-parse", "main"]),
    );
    git(added.path, ["fsck", "--no-progress"]);
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});

Deno.test("bench smoke mode runs both sides of create and verify on the compiled binary", () => {
  const out = tempDir("rc-bench-smoke-");
  try {
    const r = spawnSync(Deno.execPath(), [
      "run",
      "-A",
      "bench/archive_bench.ts",
      "--smoke",
      "--out",
      out,
      "--binary",
      BINARY,
    ], {
      cwd: ROOT,
      encoding: "utf8",
    });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /create: repo-cloner\s+\d+\.\d+/);
    const results = JSON.parse(readFileSync(join(out, "results-smoke.json"), "utf8"));
    assert.equal(results.repo.commits, 300);
    for (const side of ["shell", "ours", "sha", "verify"]) {
      assert.equal(results.samples[side].length, 1, side);
      assert.equal(results.samples[side][0].code, 0, side);
      assert.ok(results.samples[side][0].maxRssKb > 0, `${side} peak RSS measured`);
    }
    assert.ok(results.create.ratio > 0 && results.verify.ratio > 0);
    assert.deepEqual(Object.keys(results.samples.shell[0].steps), [
      "clone_mirror",
      "bundle_create",
      "tar_gzip",
      "sha256sum",
    ]);
    const archiveBytes = results.samples.ours[0].archiveBytes;
    assert.ok(
      archiveBytes > 0.9 * results.repo.size_pack_bytes,
      `archive of ${archiveBytes} bytes holds the pack`,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
