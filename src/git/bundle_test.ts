import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBundle } from "./bundle.ts";

const ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "A",
  GIT_AUTHOR_EMAIL: "a@example.test",
  GIT_COMMITTER_NAME: "C",
  GIT_COMMITTER_EMAIL: "c@example.test",
};
const git = (dir: string, args: string[]) =>
  execFileSync("git", ["-C", dir, ...args], { env: { ...ENV, HOME: dir }, encoding: "utf8" }).trim();

Deno.test("createBundle() lets git write the file and reads refs and prerequisites back from its header", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rc-bundle-"));
  try {
    const work = join(dir, "w");
    execFileSync("git", ["init", "-q", "-b", "main", work]);
    writeFileSync(join(work, "a"), "1\n");
    git(work, ["add", "-A"]);
    git(work, ["commit", "-q", "-m", "one"]);
    const first = git(work, ["rev-parse", "HEAD"]);
    writeFileSync(join(work, "a"), "2\n");
    git(work, ["commit", "-qam", "two"]);
    // Enough refs for a header longer than one 64 KiB read.
    const refs = Array.from(
      { length: 1500 },
      (_, i) => `create refs/tags/a-rather-long-tag-name-number-${i} HEAD\n`,
    );
    execFileSync("git", ["-C", work, "update-ref", "--stdin"], { input: refs.join(""), env: ENV });

    const full = await createBundle(work, join(dir, "full.bundle"));
    assert.equal(full.empty, false);
    assert.equal(full.size, statSync(join(dir, "full.bundle")).size);
    assert.equal(Object.keys(full.refs).length, 1 + 1 + 1500, "HEAD, main and every tag");
    assert.equal(full.refs["refs/heads/main"], git(work, ["rev-parse", "HEAD"]));
    assert.deepEqual(full.prerequisites, []);
    assert.ok(readFileSync(join(dir, "full.bundle"), "latin1").indexOf("\n\n") > 64 * 1024, "long header");
    git(work, ["bundle", "verify", join(dir, "full.bundle")]);

    const part = await createBundle(work, join(dir, "part.bundle"), {
      refs: ["refs/heads/main"],
      exclude: [first],
    });
    assert.deepEqual(part.prerequisites, [first]);
    assert.deepEqual(Object.keys(part.refs), ["refs/heads/main"]);

    const none = await createBundle(work, join(dir, "none.bundle"), { refs: [] });
    assert.equal(none.empty, true);
    assert.equal(statSync(join(dir, "none.bundle")).size, 0);
    const nothingNew = await createBundle(work, join(dir, "nothing.bundle"), {
      refs: ["refs/heads/main"],
      exclude: [git(work, ["rev-parse", "HEAD"])],
    });
    assert.equal(nothingNew.empty, true, "git refuses an empty bundle: a zero-byte file");
    assert.equal(statSync(join(dir, "nothing.bundle")).size, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
