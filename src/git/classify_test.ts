import assert from "node:assert/strict";
import { AuthError, TransientError, VerificationError } from "../errors.ts";
import { classifyGitFailure, GitError } from "./git.ts";

Deno.test("classifyGitFailure() names the fsck finding instead of git's last line", () => {
  const stderr = [
    "error: object f52fca01e6b0b5bf350c63141b5d85f6ad673cab: gitmodulesUrl: disallowed submodule url: -oProxyCommand=x",
    "fatal: fsck error in packed object",
    "fatal: fetch-pack: invalid index-pack output",
  ].join("\n");
  const e = classifyGitFailure("git clone --bare", 128, stderr);
  assert.ok(e instanceof VerificationError);
  assert.equal(e.exitCode, 3);
  assert.match(
    e.message,
    /git's object check refused the repository \(object f52f[0-9a-f]+: gitmodulesUrl: disallowed/,
  );
});

Deno.test("classifyGitFailure() keeps auth, transient and plain failures apart", () => {
  assert.ok(
    classifyGitFailure("git fetch", 128, "fatal: Authentication failed for 'x'") instanceof AuthError,
  );
  assert.ok(classifyGitFailure("git fetch", 128, "error: RPC failed; HTTP 503") instanceof TransientError);
  const plain = classifyGitFailure("git fetch", 128, "fatal: couldn't find remote ref nope");
  assert.ok(plain instanceof GitError && !(plain instanceof VerificationError));
});
