/**
 * End to end with the compiled binary: a full archive and incrementals of a repository served by a
 * real git http-backend (token auth, LFS batch API) with Node.js dependencies from a loopback npm
 * registry. Between archives the source gets new commits, a new branch, a deleted branch, a moved
 * annotated tag, a rewritten (force-pushed) branch, a new LFS object and a changed lockfile. The chain
 * restores to exactly the source's refs and LFS objects, installs its dependencies offline, and
 * applies with --into onto an earlier restore, pushing only what changed (the moved tag with a lease,
 * the deleted branch kept and reported). Out-of-order, skipped and foreign incrementals are refused
 * with nothing changed. Run `bash scripts/compile.sh` first.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { git } from "../src/git/git.ts";
import { CANARY, runBinary, type RunResult, tempDir } from "./support/binary.ts";
import { buildProjectRepo, clientEnv, startDepServers } from "./support/dep_fixtures.ts";
import { FIXTURE_GIT, forEachRef } from "./support/fixture_repo.ts";
import { startGitHttpServer } from "./support/git_http.ts";

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Seeded bytes, so LFS objects are incompressible but reproducible. */
function bytes(seed: string, n: number): Buffer {
  const out = Buffer.alloc(n);
  let block = Buffer.alloc(0);
  for (let i = 0; i < n; i++) {
    if (i % 32 === 0) block = createHash("sha256").update(`${seed}:${i}`).digest();
    out[i] = block[i % 32];
  }
  return out;
}

function assertNoCanary(where: string, text: string): void {
  assert.ok(!text.includes(CANARY), `token leaked into ${where}`);
}

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.code, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);
  assertNoCanary(what, r.stdout + r.stderr);
  return r;
}

function newArchive(dir: string, before: Set<string>): string {
  const made = readdirSync(dir).filter((n) => n.endsWith(".tar.gz") && !before.has(n));
  assert.equal(made.length, 1, `one new archive in ${readdirSync(dir)}`);
  before.add(made[0]);
  return join(dir, made[0]);
}

function inspectJson(archive: string) {
  const out = execFileSync("tar", ["-xzOf", archive, "manifest.json"], { encoding: "utf8" });
  return JSON.parse(out);
}

/** sha256 of every object in an LFS store directory (`lfs-store/<oid>` or `lfs/objects/aa/bb/<oid>`). */
function lfsStore(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/^[0-9a-f]{64}$/.test(n)) {
        assert.equal(sha(readFileSync(p)), n, `LFS object ${n} has the wrong content`);
        found.push(n);
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return found.sort();
}

Deno.test("e2e chain: full → incrementals → restore, --into, push, and refused chains", async (t) => {
  const dir = tempDir("rc-chain-e2e-");
  const deps = await startDepServers(dir, { npmToken: CANARY });
  const serverRoot = join(dir, "server");
  mkdirSync(serverRoot);
  for (const r of ["shop.git", "target.git", "other.git"]) {
    await git(["init", "-q", "--bare", join(serverRoot, r)]);
  }
  const server = await startGitHttpServer({ root: serverRoot, tokens: [CANARY] });
  const sourceUrl = `${server.url}/shop.git`;
  const auth = { token: CANARY };
  const env = clientEnv(dir, { pypiUrl: deps.pypi.url, npmUrl: deps.npm.url }, {
    NPM_TOKEN: CANARY,
    SOURCE_TOKEN: CANARY,
    TARGET_TOKEN: CANARY,
  });
  delete env.PATH;
  const bin = (args: string[]) => runBinary(args, { withNode: true, env });
  const out = join(dir, "archives");
  const seen = new Set<string>();
  const { work } = await buildProjectRepo(dir, "shop", {
    npmUrl: deps.npm.url,
    npmToken: CANARY,
    projects: [{ root: ".", npmDependencies: { top: "^1.0.0" } }],
  });
  const run = (args: string[]) => git(args, { ...FIXTURE_GIT, cwd: work });
  const commit = async (msg: string, files: Record<string, string | Buffer>) => {
    for (const [f, c] of Object.entries(files)) {
      mkdirSync(join(work, f, ".."), { recursive: true });
      writeFileSync(join(work, f), c);
    }
    await run(["add", "-A"]);
    await run(["commit", "-q", "-m", msg]);
  };
  const publish = async () => {
    await git(["lfs", "push", "--all", sourceUrl], {
      cwd: work,
      auth,
      config: [["lfs.locksverify", "false"]],
    });
    await git([
      "push",
      "-q",
      "--force",
      "--prune",
      sourceUrl,
      "refs/heads/*:refs/heads/*",
      "refs/tags/*:refs/tags/*",
    ], {
      cwd: work,
      auth,
    });
  };
  const lfsGets = () =>
    server.log.filter((e) => e.method === "GET" && /\/info\/lfs\/objects\/[0-9a-f]{64}$/.test(e.path)).length;
  try {
    // The source: main with an LFS asset, develop, old-feature, annotated v1 and lightweight v1-light.
    await commit("LFS setup", {
      ".gitattributes": "*.bin filter=lfs diff=lfs merge=lfs -text\n",
      "assets/a.bin": bytes("a", 200_000),
    });
    await run(["tag", "-a", "v1", "-m", "release 1"]);
    await run(["tag", "v1-light"]);
    await run(["checkout", "-q", "-b", "develop"]);
    await commit("develop work", { "dev.txt": "dev 1\n" });
    await run(["checkout", "-q", "-b", "old-feature", "main"]);
    await commit("old feature", { "old.txt": "old\n" });
    await run(["checkout", "-q", "main"]);
    await publish();

    let full = "", inc1 = "", inc2 = "", inc3 = "";
    await t.step("full archive", async () => {
      ok(await bin(["archive", "create", sourceUrl, "--output", out]), "create full");
      full = newArchive(out, seen);
    });

    await t.step(
      "incremental 1: commits, new branch, deleted branch, moved tag, new LFS object, new lockfile",
      async () => {
        await commit("more work with a new asset", {
          "src/x.txt": "x\n",
          "assets/b.bin": bytes("b", 150_000),
        });
        await run(["branch", "feature/new", "HEAD~1"]);
        await run(["branch", "-D", "old-feature"]);
        await run(["tag", "-f", "-a", "v1", "-m", "release 1, moved"]);
        const { work: next } = await buildProjectRepo(join(dir, "next"), "shop", {
          npmUrl: deps.npm.url,
          npmToken: CANARY,
          projects: [{ root: ".", npmDependencies: { top: "^1.0.0", solo: "2.1.0" } }],
        });
        for (const f of ["package.json", "package-lock.json"]) copyFileSync(join(next, f), join(work, f));
        await commit("add solo", {});
        await publish();
        const gets = lfsGets();
        const r = ok(
          await bin(["archive", "create", sourceUrl, "--output", out, "--base", full]),
          "create inc1",
        );
        inc1 = newArchive(out, seen);
        assert.equal(lfsGets() - gets, 1, "only the new LFS object is downloaded");
        assert.match(r.stdout, /Archive type: incremental/);
        const m = inspectJson(inc1);
        const base = inspectJson(full);
        assert.equal(m.type, "incremental");
        assert.equal(m.base.archive_id, base.archive_id);
        assert.equal(m.base.sha256, sha(execFileSync("tar", ["-xzOf", full, "manifest.json"])));
        assert.deepEqual(m.deleted_refs, ["refs/heads/old-feature"]);
        assert.deepEqual(m.lfs.objects.map((o: { oid: string }) => o.oid), [sha(bytes("b", 150_000))]);
        assert.deepEqual(m.lfs.inherited.map((o: { oid: string }) => o.oid), [sha(bytes("a", 200_000))]);
        assert.ok(m.dependencies.nodejs.inherited.length > 0, "unchanged npm cache files are inherited");
        assert.ok(
          m.files.some((f: { path: string }) => f.path === "dependencies/nodejs/package-lock.json"),
          "the changed lockfile is carried",
        );
        assert.equal(
          m.refs["refs/tags/v1"],
          (await git(["rev-parse", "refs/tags/v1"], { cwd: work })).stdout.trim(),
        );
        assert.ok(statSync(inc1).size < statSync(full).size, "the incremental leaves the base's objects out");
      },
    );

    await t.step(
      "incremental 2 on inc1's manifest.json alone: a rewritten branch (old tip gone)",
      async () => {
        await run(["checkout", "-q", "develop"]);
        await run(["reset", "-q", "--hard", "HEAD~1"]);
        await commit("develop rewritten", { "dev.txt": "dev 2\n" });
        await run(["checkout", "-q", "main"]);
        await publish();
        const manifestOnly = join(dir, "inc1-manifest.json");
        writeFileSync(manifestOnly, execFileSync("tar", ["-xzOf", inc1, "manifest.json"]));
        ok(
          await bin(["archive", "create", sourceUrl, "--output", out, "--base", manifestOnly]),
          "create inc2",
        );
        inc2 = newArchive(out, seen);
        assert.equal(inspectJson(inc2).base.archive_id, inspectJson(inc1).archive_id);
      },
    );

    await t.step("incremental 3 with nothing new is valid and tiny", async () => {
      ok(await bin(["archive", "create", sourceUrl, "--output", out, "--base", inc2]), "create inc3");
      inc3 = newArchive(out, seen);
      const m = inspectJson(inc3);
      assert.equal(m.bundle.empty, true);
      assert.deepEqual(m.lfs.objects, []);
      assert.ok(statSync(inc3).size < 64 * 1024, `inc3 is ${statSync(inc3).size} bytes`);
      ok(await bin(["archive", "verify", inc3]), "verify inc3 alone");
    });
    await deps.close(); // everything below is offline

    await t.step("verify and inspect the chain", async () => {
      const v = ok(await bin(["archive", "verify", full, inc1, inc2, inc3]), "verify chain");
      assert.match(v.stdout, /Chain is valid/);
      assert.match(v.stdout, /4\/4 incremental on /);
      const i = ok(await bin(["--json", "archive", "inspect", full, inc1]), "inspect chain");
      assert.equal(JSON.parse(i.stdout).chain[1], `2/2 incremental on ${inspectJson(full).archive_id}`);
    });

    await t.step(
      "restore FULL INC1 INC2 INC3 equals the source: refs, LFS objects, dependencies",
      async () => {
        const restored = join(dir, "restored");
        ok(await bin(["archive", "restore", full, inc1, inc2, inc3, "--output", restored]), "restore chain");
        const repo = join(restored, "shop");
        assert.equal(await forEachRef(repo), await forEachRef(join(serverRoot, "shop.git")));
        assert.deepEqual(
          lfsStore(join(repo, ".git", "lfs", "objects")),
          lfsStore(join(serverRoot, "shop.git", "lfs-store")),
        );
        assert.equal(sha(readFileSync(join(repo, "assets", "b.bin"))), sha(bytes("b", 150_000)));
        assert.ok(
          existsSync(join(repo, "node_modules", "solo", "package.json")),
          "the new lockfile was installed",
        );
        assert.equal(
          (await git(["status", "--porcelain", "--untracked-files=no"], { cwd: repo })).stdout,
          "",
        );
      },
    );

    await t.step("restore FULL, push, then apply INC1..3 --into it and push only what changed", async () => {
      const earlier = join(dir, "earlier");
      const target = `${server.url}/target.git`;
      ok(await bin(["archive", "restore", full, "--output", earlier, "--target", target]), "restore full");
      const repo = join(earlier, "shop");
      const r = ok(
        await bin(["archive", "restore", inc1, inc2, inc3, "--into", repo, "--target", target]),
        "restore --into",
      );
      assert.equal(await forEachRef(repo), await forEachRef(join(serverRoot, "shop.git")));
      assert.match(r.stdout, /Moved with lease.*refs\/tags\/v1/);
      assert.match(r.stdout, /refs\/heads\/develop/);
      assert.match(
        r.stdout,
        /Deleted at the source but kept on the target \(use --prune\): refs\/heads\/old-feature/,
      );
      const targetRefs = await forEachRef(join(serverRoot, "target.git"));
      assert.equal(
        targetRefs.replace(/^.* refs\/heads\/old-feature\n/m, ""),
        await forEachRef(join(serverRoot, "shop.git")),
      );
      assert.deepEqual(
        lfsStore(join(serverRoot, "target.git", "lfs-store")),
        lfsStore(join(serverRoot, "shop.git", "lfs-store")),
      );
      // Applying an archive the repository already holds is refused, nothing changed. (inc3, with nothing
      // new, would apply: its base state is the state it leaves.)
      const again = await bin(["archive", "restore", inc2, "--into", repo]);
      assert.equal(again.code, 3, again.stderr);
      assert.match(again.stderr, /already at this archive's state/);
    });

    await t.step(
      "out of order, skipped and foreign incrementals are refused with nothing changed",
      async () => {
        // An incremental of another repository with the same name.
        const otherWork = join(dir, "other", "shop");
        mkdirSync(otherWork, { recursive: true });
        await git(["init", "-q", "-b", "main"], { ...FIXTURE_GIT, cwd: otherWork });
        writeFileSync(join(otherWork, "f.txt"), "other\n");
        await git(["add", "-A"], { ...FIXTURE_GIT, cwd: otherWork });
        await git(["commit", "-q", "-m", "other"], { ...FIXTURE_GIT, cwd: otherWork });
        const otherOut = join(dir, "other-archives");
        const otherSeen = new Set<string>();
        ok(
          await bin(["archive", "create", otherWork, "--output", otherOut, "--no-dependencies"]),
          "other full",
        );
        const otherFull = newArchive(otherOut, otherSeen);
        writeFileSync(join(otherWork, "g.txt"), "more\n");
        await git(["add", "-A"], { ...FIXTURE_GIT, cwd: otherWork });
        await git(["commit", "-q", "-m", "more"], { ...FIXTURE_GIT, cwd: otherWork });
        ok(
          await bin([
            "archive",
            "create",
            otherWork,
            "--output",
            otherOut,
            "--base",
            otherFull,
            "--no-dependencies",
          ]),
          "other inc",
        );
        const foreign = newArchive(otherOut, otherSeen);
        const target = join(serverRoot, "target.git");
        const before = await forEachRef(target);
        const cases: Array<[string, string[], RegExp]> = [
          [
            "out of order",
            [full, inc2, inc1],
            /"shop-incremental-[^"]+" \(archive 2 of 3\) builds on .*out of order\)\. Give them in order: /,
          ],
          [
            "skipped",
            [full, inc2],
            /\(archive 2 of 2\) builds on archive [0-9a-f-]+, which is not given: the archive between/,
          ],
          ["foreign", [full, foreign], /which is not given: .*belongs to another chain/],
          ["incremental first", [inc1], /is an incremental archive; give the full archive it builds on/],
        ];
        for (const [name, archives, message] of cases) {
          const o = join(dir, `refused-${name.replace(/\W/g, "-")}`);
          const r = await bin([
            "archive",
            "restore",
            ...archives,
            "--output",
            o,
            "--target",
            `${server.url}/target.git`,
          ]);
          assert.equal(r.code, 3, `${name}: ${r.stdout}\n${r.stderr}`);
          assert.match(r.stderr, message, name);
          assert.match(r.stderr, /Nothing was changed/);
          assert.deepEqual(
            existsSync(o) ? readdirSync(o).filter((n) => !n.startsWith(".repo-cloner")) : [],
            [],
            `${name}: output untouched`,
          );
        }
        assert.equal(await forEachRef(target), before, "target untouched");
        const v = await bin(["archive", "verify", full, inc2]);
        assert.equal(v.code, 3);
        assert.match(v.stderr, /Cannot verify the chain: .* which is not given/);
      },
    );
  } finally {
    await deps.close().catch(() => {});
    await server.close();
  }
});
