import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startGitHttpServer } from "./support/git_http.ts";
import { tempDir } from "./support/binary.ts";
import { git } from "../src/git/git.ts";
import { AuthError } from "../src/errors.ts";

Deno.test("git_http test server: clone, push, LFS round trip and token checks", async () => {
  const root = tempDir();
  execFileSync("git", ["init", "-q", "--bare", "-b", "main", join(root, "org/repo.git")]);
  const srv = await startGitHttpServer({ root, tokens: ["good-token-1"] });
  try {
    const work = tempDir();
    execFileSync("git", ["init", "-q", "-b", "main", work]);
    execFileSync("git", ["-C", work, "lfs", "install", "--local"], { stdio: "ignore" });
    execFileSync("git", ["-C", work, "lfs", "track", "*.bin"], { stdio: "ignore" });
    writeFileSync(join(work, "a.txt"), "hello\n");
    mkdirSync(join(work, "d"));
    writeFileSync(join(work, "d/blob.bin"), "binary-ish content\n");
    execFileSync("git", ["-C", work, "add", "."]);
    execFileSync("git", ["-C", work, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "init"]);
    const url = `${srv.url}/org/repo.git`;
    await git(["push", url, "main"], { cwd: work, auth: { token: "good-token-1" } });
    await git(["lfs", "push", "--all", url], { cwd: work, auth: { token: "good-token-1" } });
    const ls = await git(["ls-remote", url], { auth: { token: "good-token-1" } });
    assert.match(ls.stdout, /refs\/heads\/main/);
    await assert.rejects(git(["ls-remote", url], { auth: { token: "wrong-token" } }), AuthError);
    const clone = join(tempDir(), "c");
    await git(["clone", "-q", url, clone], { auth: { token: "good-token-1" } });
    assert.equal(execFileSync("git", ["-C", clone, "show", "HEAD:a.txt"], { encoding: "utf8" }), "hello\n");
  } finally {
    await srv.close();
  }
});
