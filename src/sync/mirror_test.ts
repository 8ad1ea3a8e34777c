import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MirrorCache, readPackedRefsOnly } from "./mirror.ts";
import { parseForEachRef } from "./refs.ts";
import { gitIn } from "../../tests/support/forge_repos.ts";

/** A source with branches, a lightweight tag, an annotated tag, a tag of a tag and a non-synced ref. */
function source(root: string): string {
  const src = join(root, "src.git");
  gitIn(root, ["init", "-q", "--bare", src]);
  const tree = gitIn(src, ["mktree"]);
  const a = gitIn(src, ["commit-tree", tree, "-m", "a"]);
  const b = gitIn(src, ["commit-tree", tree, "-p", a, "-m", "b"]);
  gitIn(src, ["update-ref", "refs/heads/main", b]);
  gitIn(src, ["update-ref", "refs/heads/feature/ünïcødé", a]);
  gitIn(src, ["update-ref", "refs/tags/light", a]);
  gitIn(src, ["tag", "-a", "-m", "annotated", "v1", b]);
  gitIn(src, ["-c", "advice.nestedTag=false", "tag", "-a", "-m", "tag of a tag", "v1-signed-off", "v1"]);
  gitIn(src, ["update-ref", "refs/merge-requests/1/head", a]);
  return src;
}

const forEachRef = (dir: string) =>
  parseForEachRef(
    gitIn(dir, [
      "for-each-ref",
      "--format=%(objectname) %(*objectname) %(refname)",
      "refs/heads",
      "refs/tags",
    ]),
  );

Deno.test("a fresh mirror's refs are read from packed-refs, equal to git's (tags peeled all the way)", async () => {
  const root = mkdtempSync(join(tmpdir(), "rc-mirror-"));
  try {
    const cache = new MirrorCache(join(root, "cache"));
    const dir = cache.pathFor("example.com", "group/repo");
    await cache.update(dir, `file://${source(root)}`);
    const packed = readPackedRefsOnly(dir);
    assert.ok(packed, "a fresh clone keeps every ref in packed-refs");
    const viaGit = forEachRef(dir);
    assert.deepEqual([...packed.keys()].sort(), [...viaGit.keys()].sort());
    for (const [ref, tip] of viaGit) assert.equal(packed.get(ref)!.sha, tip.sha, ref);
    // %(*objectname) peels one level; packed-refs (like ls-remote's ^{}) peels to the commit.
    const commitOf = (ref: string) => gitIn(dir, ["rev-parse", `${ref}^{commit}`]);
    for (const ref of packed.keys()) assert.equal(packed.get(ref)!.commit, commitOf(ref), ref);
    assert.ok(!packed.has("refs/merge-requests/1/head"));
    assert.deepEqual(await cache.refs(dir), packed);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

Deno.test("readPackedRefsOnly() gives up whenever packed-refs might not hold every ref", async () => {
  const root = mkdtempSync(join(tmpdir(), "rc-mirror-"));
  try {
    const cache = new MirrorCache(join(root, "cache"));
    const dir = cache.pathFor("example.com", "repo");
    const src = source(root);
    await cache.update(dir, `file://${src}`);
    const packedRefs = join(dir, "packed-refs");
    const original = readFileSync(packedRefs, "utf8");

    // A loose ref written by a later fetch: git is asked, and sees it.
    const tree = gitIn(src, ["mktree"]);
    const c = gitIn(src, ["commit-tree", tree, "-m", "c"]);
    gitIn(src, ["update-ref", "refs/heads/new", c]);
    await cache.update(dir, `file://${src}`);
    assert.equal(readPackedRefsOnly(dir), undefined);
    assert.equal((await cache.refs(dir)).get("refs/heads/new")?.sha, c);
    gitIn(dir, ["pack-refs", "--all"]);
    assert.equal(readPackedRefsOnly(dir)?.get("refs/heads/new")?.sha, c, "packed again: read again");

    // A loose tag in a nested directory.
    mkdirSync(join(dir, "refs", "tags", "deep"), { recursive: true });
    writeFileSync(join(dir, "refs", "tags", "deep", "t"), `${c}\n`);
    assert.equal(readPackedRefsOnly(dir), undefined);
    rmSync(join(dir, "refs", "tags", "deep"), { recursive: true });
    assert.ok(readPackedRefsOnly(dir));

    // Headers without fully-peeled, unparsable lines, a stray peel line, no file at all.
    const body = readFileSync(packedRefs, "utf8").split("\n").slice(1).join("\n");
    for (
      const text of [
        `# pack-refs with: peeled sorted \n${body}`,
        body,
        `# pack-refs with: peeled fully-peeled sorted \n${body}garbage line\n`,
        `# pack-refs with: peeled fully-peeled sorted \n^${c}\n${body}`,
      ]
    ) {
      writeFileSync(packedRefs, text);
      assert.equal(readPackedRefsOnly(dir), undefined, text.split("\n")[0]);
    }
    rmSync(packedRefs);
    assert.equal(readPackedRefsOnly(dir), undefined);
    writeFileSync(packedRefs, original);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
