/**
 * End to end with the compiled binary (PATH without deno, node or bun): a fixture repository with
 * four branches (one non-ASCII), annotated and lightweight tags, two LFS objects and a 52 MiB file,
 * served by a real git http-backend with token auth and the LFS API. create -> verify -> restore ->
 * push, then the failure cases: wrong token, rejected push, taken output directory, SIGKILL mid-create.
 * Run `bash scripts/compile.sh` first.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { git } from "../src/git/git.ts";
import { BINARY, CANARY, cleanPath, runBinary, type RunResult, tempDir } from "./support/binary.ts";
import { buildFixtureRepo, type FixtureRepo, forEachRef } from "./support/fixture_repo.ts";
import { type GitHttpServer, startGitHttpServer } from "./support/git_http.ts";
import { assertNoCanary, watchCommandLines } from "./support/canary.ts";

const BIG = 52 * 1024 * 1024;
/** A token the server accepts for the wrong-token target; the test sends CANARY instead. */
const OTHER_TOKEN = "e2e-other-valid-token-5521";

interface World {
  root: string;
  fx: FixtureRepo;
  server: GitHttpServer;
  serverRoot: string;
  sourceUrl: string;
}

let world: Promise<World> | undefined;
/** Fixture + server, built once for this file. The server is closed by the last test. */
function getWorld(): Promise<World> {
  world ??= (async () => {
    const root = tempDir("rc-e2e-");
    const fx = await buildFixtureRepo(root, "backend-api", { bigFileBytes: BIG });
    const serverRoot = join(root, "server");
    mkdirSync(serverRoot);
    for (const repo of ["backend-api.git", "target.git", "wrong-token-target.git", "rejecting.git"]) {
      await git(["init", "-q", "--bare", join(serverRoot, repo)]);
    }
    writeFileSync(
      join(serverRoot, "rejecting.git", "hooks", "pre-receive"),
      '#!/bin/sh\necho "policy: pushes to this repository are frozen" >&2\nexit 1\n',
    );
    chmodSync(join(serverRoot, "rejecting.git", "hooks", "pre-receive"), 0o755);
    const server = await startGitHttpServer({
      root: serverRoot,
      authorize: (token, repo) => {
        const want = repo === "wrong-token-target.git" ? OTHER_TOKEN : CANARY;
        return token === want ? "ok" : "unauthorized";
      },
    });
    const sourceUrl = `${server.url}/backend-api.git`;
    const auth = { token: CANARY };
    await git(["lfs", "push", "--all", sourceUrl], {
      cwd: fx.dir,
      auth,
      config: [["lfs.locksverify", "false"]],
    });
    await git(["push", "-q", sourceUrl, "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"], {
      cwd: fx.dir,
      auth,
    });
    const main = (await git(["rev-parse", "main"], { cwd: fx.dir })).stdout.trim();
    await git(["update-ref", "refs/pull/7/head", main], { cwd: join(serverRoot, "backend-api.git") });
    return { root, fx, server, serverRoot, sourceUrl };
  })();
  return world;
}

let created:
  | Promise<{ archive: string; run: RunResult; ms: number; log: string; usb: string; git: string[] }>
  | undefined;
function getArchive() {
  created ??= (async () => {
    const w = await getWorld();
    const out = join(w.root, "archives");
    const usb = join(w.root, "usb", "repo-archives");
    const log = join(w.root, "create.log");
    const t = performance.now();
    // A slow server keeps git children alive long enough to read their command lines from /proc.
    w.server.faults.push({ match: /^\/backend-api\.git\/git-upload-pack$/, kind: "delay", ms: 1500 });
    const watch = watchCommandLines();
    const run = await runBinary(
      [
        "archive",
        "create",
        w.sourceUrl,
        "--output",
        out,
        "--storage",
        "local",
        "--storage-path",
        usb,
        "--log-file",
        log,
      ],
      { env: { SOURCE_TOKEN: CANARY } },
    );
    const ms = performance.now() - t;
    const { git: gitLines } = watch.stop();
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const names = readdirSync(out).filter((n) => n.endsWith(".tar.gz"));
    assert.equal(names.length, 1, readdirSync(out).join(", "));
    assert.ok(existsSync(join(out, `${names[0]}.report.html`)), "the review report beside the archive");
    return { archive: join(out, names[0]), run, ms, log, usb, git: gitLines };
  })();
  return created;
}

async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const c of createReadStream(file) as AsyncIterable<Buffer>) h.update(c);
  return h.digest("hex");
}

Deno.test("e2e: create -> verify -> restore -> push keeps every ref and LFS byte; the token leaks nowhere", async () => {
  const w = await getWorld();
  const c = await getArchive();
  const name = c.archive.split("/").pop()!;
  assert.match(name, /^backend-api-full-\d{8}-\d{6}\.tar\.gz$/);
  for (
    const line of [
      "📦 Starting Air-Gap Archive Creation",
      "📥 Step 1/5: Cloning repository...",
      "✓ Cloned successfully (4 branches,",
      "🔍 Step 2/5: Detecting and fetching dependencies...",
      "📦 Step 3/5: Creating full archive...",
      `✓ Archive created: ${name}`,
      "☁️  Step 4/5: Uploading to local storage...",
      "✓ Step 5/5: Verifying archive integrity...",
      "LFS objects: ✓ (2 files)",
      "✅ Archive creation complete!",
      "Summary:",
      "Timing:",
      "Files:",
    ]
  ) assert.ok(c.run.stdout.includes(line), `missing "${line}" in:\n${c.run.stdout}`);
  assert.match(c.run.stdout, /Session ID: archive-\d{8}-\d{6}/);
  assert.match(c.run.stdout, /Size: 5\d\.\d MB/);
  const stored = join(c.usb, name);
  assert.equal(await sha256File(stored), await sha256File(c.archive), "the stored copy is identical");

  const tVerify = performance.now();
  const verify = await runBinary(["archive", "verify", stored]);
  const verifyMs = performance.now() - tVerify;
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);

  const restored = join(w.root, "restored");
  const log = join(w.root, "restore.log");
  const tRestore = performance.now();
  const restore = await runBinary(
    [
      "archive",
      "restore",
      stored,
      "--target",
      `${w.server.url}/target.git`,
      "--output",
      restored,
      "--log-file",
      log,
    ],
    { env: { TARGET_TOKEN: CANARY } },
  );
  const restoreMs = performance.now() - tRestore;
  assert.equal(restore.code, 0, restore.stdout + restore.stderr);
  for (
    const line of [
      "📦 Starting Air-Gap Archive Restoration",
      "📄 Step 1/5: Using local archive...",
      "✓ Step 2/5: Verifying archive integrity...",
      "📥 Step 3/5: Restoring repository from archive...",
      "🔧 Step 4/5: Installing dependencies...",
      "🚀 Step 5/5: Pushing to target repository...",
      "✓ Pushed to target",
      "✅ Archive restoration complete!",
    ]
  ) assert.ok(restore.stdout.includes(line), `missing "${line}" in:\n${restore.stdout}`);
  assert.match(restore.stdout, /Session ID: restore-\d{8}-\d{6}/);

  // Refs: source and target identical (branches and tags); refs/pull not carried.
  const sourceRefs = await forEachRef(join(w.serverRoot, "backend-api.git"));
  assert.equal(await forEachRef(join(w.serverRoot, "target.git")), sourceRefs);
  assert.match(sourceRefs, /refs\/heads\/feature\/ünïcødé/);
  assert.match(sourceRefs, / tag refs\/tags\/v1\.0\.0/);
  assert.match(sourceRefs, / commit refs\/tags\/v1\.0\.1/);
  const all =
    (await git(["for-each-ref", "--format=%(refname)"], { cwd: join(w.serverRoot, "target.git") })).stdout;
  assert.doesNotMatch(all, /refs\/pull/);

  // LFS: the target's store holds the source's objects byte for byte; the working tree has content.
  const srcStore = join(w.serverRoot, "backend-api.git", "lfs-store");
  const oids = readdirSync(srcStore).filter((n) => /^[0-9a-f]{64}$/.test(n)).sort();
  assert.equal(oids.length, 2);
  for (const oid of oids) {
    const copy = join(w.serverRoot, "target.git", "lfs-store", oid);
    assert.equal(await sha256File(copy), oid);
    assert.deepEqual(readFileSync(copy), readFileSync(join(srcStore, oid)));
  }
  const repo = join(restored, "backend-api");
  assert.equal(await sha256File(join(repo, "assets", "logo.bin")), w.fx.lfsOid);
  assert.equal(statSync(join(repo, "data", "big.dat")).size, BIG);
  assert.equal(
    await sha256File(join(repo, "data", "big.dat")),
    await sha256File(join(w.fx.dir, "data", "big.dat")),
  );

  // The token: not in any output, log, .git/config, archive (raw or decompressed) or git command line.
  assert.ok(
    c.git.some((l) => l.includes("clone") && l.includes("/backend-api.git")),
    `the sampler never saw the clone: ${c.git.join(" | ")}`,
  );
  assertNoCanary([c.run, verify, restore], {
    files: [c.log, log, join(repo, ".git", "config"), stored],
    dirs: [join(repo, ".git")],
    cmdlines: c.git,
  });
  const manifest = JSON.parse(
    spawnSync("tar", ["-xzOf", stored, "manifest.json"], { encoding: "utf8", maxBuffer: 1 << 26 }).stdout,
  );
  assert.equal(manifest.source.url, w.sourceUrl);
  console.log(
    `e2e numbers: archive ${(statSync(stored).size / 1048576).toFixed(1)} MiB; create ${
      (c.ms / 1000).toFixed(1)
    }s, ` +
      `verify ${(verifyMs / 1000).toFixed(1)}s, restore+push ${(restoreMs / 1000).toFixed(1)}s`,
  );
});

Deno.test("e2e: a wrong target token exits 5 at once, without retry, and the token appears nowhere", async () => {
  const w = await getWorld();
  const c = await getArchive();
  const out = join(w.root, "restored-wrong-token");
  const log = join(w.root, "wrong-token.log");
  const before = w.server.log.length;
  const r = await runBinary(
    [
      "archive",
      "restore",
      c.archive,
      "--target",
      `${w.server.url}/wrong-token-target.git`,
      "--output",
      out,
      "--log-file",
      log,
    ],
    { env: { TARGET_TOKEN: CANARY } },
  );
  assert.equal(r.code, 5, r.stdout + r.stderr);
  assert.match(r.stderr, /Cannot authenticate/);
  const requests = w.server.log.slice(before).filter((e) => e.path.startsWith("/wrong-token-target.git"));
  assert.ok(requests.length >= 1 && requests.length <= 2, JSON.stringify(requests));
  assert.ok(
    requests.every((e) => e.status === 401 && e.path.endsWith("/info/refs")),
    JSON.stringify(requests),
  );
  assert.ok(!existsSync(join(out, "backend-api")), "nothing restored before the credentials were checked");
  assertNoCanary([r], { files: [log] });
  assert.equal(await forEachRef(join(w.serverRoot, "wrong-token-target.git")), "");
});

Deno.test("e2e: a target that rejects the push exits 1 naming the refs and the reason", async () => {
  const w = await getWorld();
  const c = await getArchive();
  const out = join(w.root, "restored-rejected");
  const r = await runBinary(
    ["archive", "restore", c.archive, "--target", `${w.server.url}/rejecting.git`, "--output", out],
    { env: { TARGET_TOKEN: CANARY } },
  );
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /Cannot push to ".*rejecting\.git": the target rejected 8 ref\(s\)/);
  assert.match(r.stderr, /pre-receive hook declined/);
  assert.equal(
    await forEachRef(join(w.serverRoot, "rejecting.git")),
    "",
    "nothing was written on the target",
  );
  assertNoCanary([r]);
});

Deno.test("e2e: restore never writes into an existing non-empty output directory", async () => {
  const w = await getWorld();
  const c = await getArchive();
  const out = join(w.root, "restored-taken");
  mkdirSync(join(out, "backend-api"), { recursive: true });
  writeFileSync(join(out, "backend-api", "work-in-progress.txt"), "do not lose me");
  const r = await runBinary(["archive", "restore", c.archive, "--output", out]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /Cannot restore into ".*backend-api": it already exists and is not empty/);
  assert.deepEqual(readdirSync(out), ["backend-api"]);
  assert.deepEqual(readdirSync(join(out, "backend-api")), ["work-in-progress.txt"]);
  assert.equal(readFileSync(join(out, "backend-api", "work-in-progress.txt"), "utf8"), "do not lose me");
});

Deno.test("e2e: create killed with SIGKILL leaves only a .partial file, never the final name", async () => {
  const w = await getWorld();
  const out = join(w.root, "archives-killed");
  const child = spawn(BINARY, ["archive", "create", w.sourceUrl, "--output", out, "--no-dependencies"], {
    env: { HOME: process.env.HOME ?? "/root", PATH: cleanPath(), NO_COLOR: "1", SOURCE_TOKEN: CANARY },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.resume();
  child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let exitedEarly = false;
  exited.then(() => (exitedEarly = true));
  let partial: string | undefined;
  // Poll until the archive is being written (bounded: 3000 polls of 20 ms).
  for (let i = 0; i < 3000 && !partial && !exitedEarly; i++) {
    await new Promise((r) => setTimeout(r, 20));
    if (!existsSync(out)) continue;
    partial = readdirSync(out).find((n) => n.endsWith(".tar.gz.partial") && statSync(join(out, n)).size > 0);
  }
  assert.ok(partial, "the archive was seen being written before the process ended");
  child.kill("SIGKILL");
  await exited;
  const left = readdirSync(out);
  assert.deepEqual(left.filter((n) => n.endsWith(".tar.gz")), [], `final name present: ${left}`);
  // Besides .partial files only the run's lock may remain: stale (its pid is dead), taken over below.
  assert.ok(left.every((n) => n.endsWith(".partial") || n === ".repo-cloner.lock"), left.join(", "));
  if (left.includes(".repo-cloner.lock")) {
    const owner = JSON.parse(readFileSync(join(out, ".repo-cloner.lock"), "utf8"));
    assert.equal(owner.pid, child.pid, "the lock names the killed run");
  }

  // The next run succeeds next to the leftover partial file.
  await new Promise((r) => setTimeout(r, 1100));
  const again = await runBinary(["archive", "create", w.sourceUrl, "--output", out, "--no-dependencies"], {
    env: { SOURCE_TOKEN: CANARY },
  });
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.equal(readdirSync(out).filter((n) => n.endsWith(".tar.gz")).length, 1);
  assert.ok(!existsSync(join(out, ".repo-cloner.lock")), "the stale lock was taken over and released");
  await w.server.close();
});
