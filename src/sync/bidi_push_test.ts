import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeRefName, listRefsUnder, pushWithLease } from "./bidi_push.ts";

function git(cwd: string, args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "T",
      GIT_AUTHOR_EMAIL: "t@x",
      GIT_COMMITTER_NAME: "T",
      GIT_COMMITTER_EMAIL: "t@x",
    },
  }).trim();
}

Deno.test("freeRefName() appends -2, -3… only when the name is taken", () => {
  assert.equal(freeRefName("refs/x/a", new Set()), "refs/x/a");
  assert.equal(freeRefName("refs/x/a", new Set(["refs/x/a"])), "refs/x/a-2");
  assert.equal(freeRefName("refs/x/a", new Set(["refs/x/a", "refs/x/a-2"])), "refs/x/a-3");
});

Deno.test("pushWithLease() updates what matches its lease and refuses what moved, per ref", async () => {
  const root = mkdtempSync(join(tmpdir(), "rc-lease-"));
  const remote = join(root, "remote.git");
  const local = join(root, "local.git");
  git(root, ["init", "-q", "--bare", remote]);
  git(root, ["init", "-q", "--bare", local]);
  const tree = git(local, ["mktree"]);
  const a = git(local, ["commit-tree", tree, "-m", "a"]);
  const b = git(local, ["commit-tree", tree, "-p", a, "-m", "b"]);
  const c = git(local, ["commit-tree", tree, "-m", "c"]);
  git(local, ["push", "-q", remote, `${a}:refs/heads/ff`, `${a}:refs/heads/moved`, `${a}:refs/heads/del`]);
  git(local, ["push", "-q", remote, `${c}:refs/heads/moved`, "--force"]); // someone moved it

  const r = await pushWithLease(remote, [
    { ref: "refs/heads/ff", sha: b, expected: a },
    { ref: "refs/heads/moved", sha: b, expected: a },
    { ref: "refs/heads/del", expected: a },
    { ref: "refs/heads/new", sha: c },
    { ref: "refs/heads/ff-again", sha: c, expected: a }, // expected a ref that does not exist
    { ref: "refs/repo-cloner/backup/main/20250101T000000Z", sha: c },
  ], { cwd: local });
  assert.deepEqual(r.done.sort(), [
    "refs/heads/del",
    "refs/heads/ff",
    "refs/heads/new",
    "refs/repo-cloner/backup/main/20250101T000000Z",
  ]);
  assert.deepEqual(r.rejected.map((x) => x.ref).sort(), ["refs/heads/ff-again", "refs/heads/moved"]);
  assert.match(r.rejected.find((x) => x.ref === "refs/heads/moved")!.reason, /stale info/);
  assert.equal(git(remote, ["rev-parse", "refs/heads/moved"]), c, "the moved ref is untouched");
  assert.deepEqual(
    [...await listRefsUnder(remote, "refs/repo-cloner/backup/", { cwd: local })],
    ["refs/repo-cloner/backup/main/20250101T000000Z"],
  );
  // A non-fast-forward (c is unrelated to b) goes through when the lease holds.
  const forced = await pushWithLease(remote, [{ ref: "refs/heads/ff", sha: c, expected: b }], { cwd: local });
  assert.deepEqual(forced.done, ["refs/heads/ff"]);
});
