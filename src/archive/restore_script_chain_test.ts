import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tests/support/binary.ts";
import { buildFixtureRepo, FIXTURE_GIT, forEachRef } from "../../tests/support/fixture_repo.ts";
import { git } from "../git/git.ts";
import { createArchive } from "./create.ts";

/** Runs restore.sh (taken out of `archive`) with only the system tools on PATH. */
function restoreSh(archive: string, args: string[], cwd: string) {
  const script = join(tempDir("rc-sh-chain-"), "restore.sh");
  writeFileSync(script, execFileSync("tar", ["-xzOf", archive, "restore-scripts/restore.sh"]));
  const r = spawnSync("sh", [script, archive, ...args], {
    cwd,
    env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: tempDir("rc-sh-home-"), TMPDIR: "/tmp" },
    encoding: "utf8",
  });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

Deno.test("restore.sh applies incrementals in order onto its base's restore, and refuses the wrong base", async () => {
  const dir = tempDir("rc-sh-chain-");
  const fx = await buildFixtureRepo(dir, "sample-app", { lfsBytes: 2048 });
  let t = Date.parse("2025-04-01T00:00:00Z");
  const now = () => new Date(t += 1000);
  const out = join(dir, "archives");
  const opts = { includeDependencies: false, now };
  const run = (args: string[]) => git(args, { ...FIXTURE_GIT, cwd: fx.dir });
  const full = await createArchive(fx.dir, out, opts);
  const asset = randomBytes(3000);
  writeFileSync(join(fx.dir, "assets", "new.bin"), asset);
  await run(["add", "-A"]);
  await run(["commit", "-q", "-m", "new asset"]);
  await run(["branch", "-D", "develop"]);
  await run(["tag", "-f", "-a", "v1.0.0", "-m", "moved"]);
  const inc1 = await createArchive(fx.dir, out, { ...opts, type: "incremental", base: full.path });
  await run(["checkout", "-q", "-b", "later"]);
  writeFileSync(join(fx.dir, "later.txt"), "later\n");
  await run(["add", "-A"]);
  await run(["commit", "-q", "-m", "later"]);
  const inc2 = await createArchive(fx.dir, out, { ...opts, type: "incremental", base: inc1.path });

  const cwd = tempDir();
  assert.equal(restoreSh(full.path, ["repo"], cwd).code, 0);
  const repo = join(cwd, "repo");
  const wrong = restoreSh(inc2.path, ["repo"], cwd);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /are not those of the base archive; nothing was changed/);
  for (const inc of [inc1, inc2]) {
    const r = restoreSh(inc.path, ["repo"], cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Applied the incremental archive to repo/);
  }
  assert.equal(await forEachRef(repo), await forEachRef(fx.dir));
  const sha = createHash("sha256").update(asset).digest("hex");
  assert.equal(createHash("sha256").update(readFileSync(join(repo, "assets", "new.bin"))).digest("hex"), sha);
  assert.equal((await git(["status", "--porcelain"], { cwd: repo })).stdout, "");
  assert.equal(restoreSh(inc1.path, ["repo"], cwd).code, 1, "an incremental cannot be applied twice");
});

Deno.test("restore.sh restores a shallow archive (writes .git/shallow first)", async () => {
  const dir = tempDir("rc-sh-shallow-");
  const fx = await buildFixtureRepo(dir, "sample-app", { lfsBytes: 1024 });
  const a = await createArchive(fx.dir, join(dir, "archives"), { includeDependencies: false, depth: 1 });
  assert.ok(a.manifest.shallow && a.manifest.shallow.commits.length > 0);
  const cwd = tempDir();
  const r = restoreSh(a.path, ["repo"], cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await forEachRef(join(cwd, "repo")), await forEachRef(fx.dir));
  assert.deepEqual(
    readFileSync(join(cwd, "repo", ".git", "shallow"), "utf8").trim().split("\n").sort(),
    a.manifest.shallow.commits,
  );
});
