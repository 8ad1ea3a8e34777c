/**
 * The TypeScript workflow examples run for real with `deno run -A examples/workflows/<x>.ts`, configured
 * only by the spec's environment variables: the sync one against the forge emulator, the archive one on
 * a local repository with LFS (its archive then verified by the compiled binary), the restore one
 * pushing that archive to a git http-backend target with a token. The token never shows.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { git } from "../src/git/git.ts";
import { CANARY, runBinary, tempDir } from "./support/binary.ts";
import { buildFixtureRepo, forEachRef } from "./support/fixture_repo.ts";
import { seedHistory } from "./support/forge_repos.ts";
import { startForge } from "./support/forge.ts";
import { startGitHttpServer } from "./support/git_http.ts";
import { SOURCE_TOKEN } from "./support/sync_fixture.ts";

const ROOT = resolve(import.meta.dirname ?? ".", "..");

/** `deno run -A examples/workflows/<name>.ts` from the repository root with `env` added. */
function runExample(
  name: string,
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done, fail) => {
    const child = spawn(Deno.execPath(), ["run", "-A", `examples/workflows/${name}.ts`], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => out += d);
    child.stderr.on("data", (d) => err += d);
    child.on("error", fail);
    child.on("close", (code) => done({ code, out, err }));
  });
}

Deno.test("examples/workflows/gitlab-to-github-sync.ts syncs a GitLab group into a GitHub organization", async () => {
  const gl = await startForge({ flavor: "gitlab", tokens: [SOURCE_TOKEN] });
  const gh = await startForge({ flavor: "github", tokens: [CANARY] });
  try {
    gl.addNamespace("backend");
    gh.addNamespace("myorg");
    seedHistory(gl.addRepo("backend/auth-service").dir, { commits: 3 });
    seedHistory(gl.addRepo("backend/payments/api").dir, { commits: 2 });
    const dir = tempDir("rc-example-sync-");
    const config = join(dir, "ops.yml");
    writeFileSync(
      config,
      `sync: { cache_dir: "${join(dir, "cache")}", state_dir: "${join(dir, "state")}" }\n`,
    );
    const r = await runExample("gitlab-to-github-sync", {
      GITLAB_URL: gl.url,
      GITLAB_TOKEN: SOURCE_TOKEN,
      GITLAB_GROUP: "backend",
      GITHUB_URL: gh.url,
      GITHUB_ORG: "myorg",
      GITHUB_TOKEN: CANARY,
      REPO_CLONER_CONFIG: config,
    });
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^🚀 Starting GitLab → GitHub Synchronization\n {3}Session ID: sync-\d{8}-\d{6}\n/);
    assert.match(r.out, /✓ Found 2 repositories in backend\n/);
    assert.match(r.out, /\[\d\/2\] auth-service\.\.\. ✓ \(3 commits, 1 branch, [\d.]+s\)\n/);
    assert.match(r.out, /\[\d\/2\] payments-api\.\.\. ✓ \(2 commits, 1 branch, [\d.]+s\)\n/);
    assert.match(
      r.out,
      /✅ Synchronization complete!\n\nSummary:\n {2}Total repositories: 2\n {2}Successful: 2\n/,
    );
    const logFile = /Logs saved to: (\S+)/.exec(r.out)![1];
    const completed = readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l))
      .filter((l) => l.message === "Repository sync completed");
    assert.deepEqual(completed.map((l) => l.repository).sort(), ["auth-service", "payments-api"]);
    assert.deepEqual(gh.refs("myorg/auth-service"), gl.refs("backend/auth-service"));
    assert.deepEqual(gh.refs("myorg/payments-api"), gl.refs("backend/payments/api"));
    const all = r.out + r.err + readFileSync(logFile, "utf8");
    for (const secret of [CANARY, SOURCE_TOKEN]) assert.ok(!all.includes(secret), `${secret} leaked`);

    // A rejected token: exit 5, as the binary.
    const bad = await runExample("gitlab-to-github-sync", {
      GITLAB_URL: gl.url,
      GITLAB_TOKEN: "glpat-wrong-0000",
      GITLAB_GROUP: "backend",
      GITHUB_URL: gh.url,
      GITHUB_ORG: "myorg",
      GITHUB_TOKEN: CANARY,
      REPO_CLONER_CONFIG: config,
    });
    assert.equal(bad.code, 5, bad.out + bad.err);
    assert.match(
      bad.err,
      /^✗ Cannot check the token: the source token for GitLab .+ \(GITLAB_TOKEN\) was rejected/m,
    );
  } finally {
    await gl.close();
    await gh.close();
  }
});

Deno.test("examples/workflows/air-gap-archive-create.ts and -restore.ts carry a repository across the gap", async (t) => {
  const root = tempDir("rc-example-airgap-");
  const fx = await buildFixtureRepo(root, "backend-api", { lfsBytes: 32 * 1024 });
  const usb = join(root, "usb");
  const state = join(root, "state");
  let archive = "";

  await t.step("create: clone, archive, copy to local storage, verify", async () => {
    const r = await runExample("air-gap-archive-create", {
      SOURCE_REPO_URL: fx.dir,
      ARCHIVE_OUTPUT_PATH: join(root, "archives"),
      ARCHIVE_TYPE: "full",
      INCLUDE_DEPENDENCIES: "false",
      STORAGE_TYPE: "local",
      STORAGE_PATH: usb,
      XDG_STATE_HOME: state,
    });
    assert.equal(r.code, 0, r.out + r.err);
    for (
      const line of [
        /^📦 Starting Air-Gap Archive Creation\n {3}Session ID: archive-\d{8}-\d{6}\n/,
        /📥 Step 1\/5: Cloning repository\.\.\.\n {3}✓ Cloned successfully \(4 branches, [\d.]+s\)/,
        /📦 Step 3\/5: Creating full archive\.\.\.\n {3}✓ Archive created: backend-api-full-\d{8}-\d{6}\.tar\.gz/,
        /☁️ {2}Step 4\/5: Uploading to local storage\.\.\.\n {3}✓ Uploaded to: /,
        /✓ Step 5\/5: Verifying archive integrity\.\.\.\n {3}✓ Archive is valid/,
        /✅ Archive creation complete!/,
      ]
    ) assert.match(r.out, line);
    const names = readdirSync(usb).filter((n) => n.endsWith(".tar.gz"));
    assert.equal(names.length, 1, readdirSync(usb).join(", "));
    archive = join(usb, names[0]);
    // The binary accepts what the example wrote.
    const v = await runBinary(["archive", "verify", archive], { env: { XDG_STATE_HOME: state } });
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });

  await t.step(
    "restore: verify, rebuild, push every branch and tag to the target with TARGET_TOKEN",
    async () => {
      assert.ok(archive, "the create step made an archive");
      const serverRoot = join(root, "server");
      mkdirSync(serverRoot);
      await git(["init", "-q", "--bare", join(serverRoot, "api.git")]);
      const server = await startGitHttpServer({ root: serverRoot, tokens: [CANARY] });
      try {
        const out = join(root, "restored");
        const r = await runExample("air-gap-archive-restore", {
          ARCHIVE_PATH: archive,
          TARGET_REPO_URL: `${server.url}/api.git`,
          TARGET_TOKEN: CANARY,
          RESTORE_OUTPUT_PATH: out,
          INSTALL_DEPENDENCIES: "false",
          XDG_STATE_HOME: state,
        });
        assert.equal(r.code, 0, r.out + r.err);
        for (
          const line of [
            /^📦 Starting Air-Gap Archive Restoration\n {3}Session ID: restore-\d{8}-\d{6}\n/,
            /📄 Step 1\/5: Using local archive\.\.\./,
            /✓ Step 2\/5: Verifying archive integrity\.\.\.\n(.*\n)* {3}✓ Archive is valid/,
            /📥 Step 3\/5: Restoring repository from archive\.\.\.\n {3}✓ Repository restored/,
            /🚀 Step 5\/5: Pushing to target repository\.\.\.\n {3}✓ Pushed to target/,
            /✅ Archive restoration complete!/,
          ]
        ) assert.match(r.out, line);
        assert.equal(await forEachRef(join(serverRoot, "api.git")), await forEachRef(fx.dir));
        assert.ok(existsSync(join(out, "backend-api", ".git")));
        const config = readFileSync(join(out, "backend-api", ".git", "config"), "utf8");
        const logFile = /Logs: (\S+)/.exec(r.out)![1];
        const all = r.out + r.err + config + readFileSync(logFile, "utf8");
        assert.ok(!all.includes(CANARY), "token leaked");
      } finally {
        await server.close();
      }
    },
  );
});
