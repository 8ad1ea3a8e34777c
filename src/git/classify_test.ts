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

Deno.test("classifyGitFailure() names curl's low-speed abort and a full disk", () => {
  const slow = classifyGitFailure(
    "git clone --bare",
    128,
    "error: RPC failed; curl 28 Operation too slow. Less than 1000 bytes/sec transferred the last 2 seconds\n" +
      "fatal: expected flush after ref listing",
  );
  assert.ok(slow instanceof TransientError);
  assert.match(slow.message, /^Transient network error: error: RPC failed; curl 28 Operation too slow/);
  const full = classifyGitFailure(
    "git clone --bare",
    128,
    "fatal: write error: No space left on device\nfatal: fetch-pack: invalid index-pack output",
  );
  assert.equal(full.errorType, "DiskFull");
  assert.match(full.message, /no space left on the device \(fatal: write error: No space left on device\)/);
});

Deno.test("classifyGitFailure() names a missing bundle prerequisite (exit 3) and keeps GitError messages on one line", () => {
  const e = classifyGitFailure(
    "git fetch --quiet",
    1,
    "error: Repository lacks these prerequisite commits:\nerror: 52c783f050d05cb407c207a50b20e2e469e0ed25 \n",
  );
  assert.ok(e instanceof VerificationError);
  assert.match(e.message, /needs commits the repository does not have \(prerequisite 52c783f0[0-9a-f]+\)/);
  const plain = new GitError("git fetch", 128, "error: one\nfatal: two\n");
  assert.equal(plain.message, 'Cannot run "git fetch": git exited with 128: error: one / fatal: two');
  assert.equal(plain.stderr, "error: one\nfatal: two");
});
