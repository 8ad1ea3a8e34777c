import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stageReview } from "./stage_review.ts";
import { reviewSchema } from "./review_schema.ts";

const XSS_BRANCH = "refs/heads/feature/<script>alert(1)</script>";
const XSS_FILE = "<img src=x onerror=alert(1)>.bin";
const ALICE = { name: "Alice Example", email: "alice@example.test" };
const BOB = { name: `Bob "B&B" O'Hara`, email: "bob@example.test" };
const CAROL = { name: "Carol New", email: "carol@example.test" };

let tick = 1_700_000_000;

function git(dir: string, args: string[], input?: string): string {
  return execFileSync("git", ["-C", dir, ...args], {
    input,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: "1",
      HOME: dir,
      GIT_COMMITTER_NAME: "Committer",
      GIT_COMMITTER_EMAIL: "committer@example.test",
    },
  }).trim();
}

/** Commits `files` (path → content; null deletes) as `who` on the checked-out branch. */
function commit(
  dir: string,
  who: { name: string; email: string },
  files: Record<string, string | Uint8Array | null>,
) {
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    if (content === null) rmSync(file);
    else {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
  }
  git(dir, ["add", "-A"]);
  const date = `${tick++} +0000`;
  execFileSync("git", ["-C", dir, "commit", "-q", "-m", `change ${tick}`], {
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: who.name,
      GIT_AUTHOR_EMAIL: who.email,
      GIT_COMMITTER_NAME: "Committer",
      GIT_COMMITTER_EMAIL: "committer@example.test",
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
    },
  });
  return git(dir, ["rev-parse", "HEAD"]);
}

function binary(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff;
  b[1] = 0;
  return b;
}

function refsOf(gitDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of git(gitDir, ["for-each-ref", "--format=%(objectname) %(refname)"]).split("\n")) {
    if (!line) continue;
    const at = line.indexOf(" ");
    out[line.slice(at + 1)] = line.slice(0, at);
  }
  return out;
}

function mirror(work: string, into: string): string {
  rmSync(into, { recursive: true, force: true });
  execFileSync("git", ["clone", "-q", "--bare", work, into]);
  return into;
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "rc-review-"));
  const work = join(dir, "work");
  execFileSync("git", ["init", "-q", "-b", "main", work]);
  const c1 = commit(work, ALICE, {
    "README.md": "hello\n",
    "logo.png": binary(3000, 1),
    "data/big.txt": "line of text\n".repeat(2000),
  });
  const c2 = commit(work, BOB, { "src/app.js": "console.log(1)\n" });
  git(work, ["checkout", "-q", "-b", XSS_BRANCH.slice("refs/heads/".length), c1]);
  commit(work, ALICE, { [XSS_FILE]: binary(500, 2) });
  git(work, ["checkout", "-q", "main"]);
  git(work, ["tag", "-a", "-m", "release", "v1.0", c2]);
  git(work, ["tag", "light", c1]);
  const blob = git(work, ["hash-object", "-w", "--stdin"], "a blob that a tag points at\n");
  git(work, ["tag", "-a", "-m", "blob tag", "blob-tag", blob]);
  return { dir, work, c1, c2 };
}

Deno.test("stageReview() describes a full archive: every ref added, whole history, binaries, no new-author baseline", async () => {
  const { dir, work } = setup();
  try {
    const gitDir = mirror(work, join(dir, "mirror.git"));
    const refs = refsOf(gitDir);
    const stage = join(dir, "stage");
    mkdirSync(stage);
    const head = git(gitDir, ["rev-parse", "HEAD"]);
    const { review, sbom } = await stageReview(
      stage,
      { gitDir, refs, defaultBranch: "main", head, lfs: [] },
      {
        name: "app",
        url: "https://git.example.test/group/app.git",
        createdAt: new Date("2025-10-13T14:00:00Z"),
      },
    );
    assert.deepEqual(
      reviewSchema.parse(JSON.parse(readFileSync(join(stage, "review.json"), "utf8"))),
      review,
    );
    assert.deepEqual(JSON.parse(readFileSync(join(stage, "sbom.cdx.json"), "utf8")), sbom);
    assert.equal(sbom.components.length, 0);

    assert.equal(review.refs[0].name, "refs/heads/main", "default branch first");
    assert.deepEqual(review.refs.map((r) => r.change), review.refs.map(() => "added"));
    const byName = Object.fromEntries(review.refs.map((r) => [r.name, r]));
    assert.equal(byName["refs/heads/main"].commits, 2);
    assert.equal(byName[XSS_BRANCH].commits, Number(git(gitDir, ["rev-list", "--count", XSS_BRANCH])));
    assert.equal(byName[XSS_BRANCH].old, null);
    assert.deepEqual(byName["refs/heads/main"].authors.map((a) => a.name).sort(), [ALICE.name, BOB.name]);
    assert.equal(byName["refs/tags/blob-tag"].range, null, "a tag of a blob brings no commits");
    assert.equal(byName["refs/tags/blob-tag"].commits, 0);
    assert.equal(byName["refs/tags/v1.0"].range?.to, git(gitDir, ["rev-parse", "v1.0^{commit}"]));

    assert.equal(review.history.commits, Number(git(gitDir, ["rev-list", "--count", "--all"])));
    assert.equal(review.history.authors_total, 2);
    assert.equal(review.history.new_authors, null);
    assert.equal(review.base, null);

    const blobs = git(gitDir, [
      "cat-file",
      "--batch-all-objects",
      "--batch-check=%(objecttype) %(objectsize)",
    ])
      .split("\n").filter((l) => l.startsWith("blob "));
    assert.equal(review.objects.blobs, blobs.length, "every blob, the tagged one included");
    assert.equal(review.objects.blob_bytes, blobs.reduce((n, l) => n + Number(l.split(" ")[1]), 0));
    assert.equal(review.objects.largest[0].path, "data/big.txt");
    assert.deepEqual(review.binary_files.files.map((f) => f.path).sort(), [XSS_FILE, "logo.png"].sort());
    assert.equal(review.binary_files.scope, "tips", "a full archive looks at the files at its tips");
    const byPath = Object.fromEntries(review.binary_files.files.map((f) => [f.path, f.commit]));
    assert.equal(byPath["logo.png"], byName["refs/heads/main"].range?.to, "first tip holding it: main's");
    assert.equal(byPath[XSS_FILE], byName[XSS_BRANCH].range?.to);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("stageReview() describes an incremental: old → new per ref, ranges, new authors, only new blobs", async () => {
  const { dir, work, c1 } = setup();
  try {
    const baseDir = mirror(work, join(dir, "base.git"));
    const baseRefs: Record<string, string> = {
      ...refsOf(baseDir),
      "refs/heads/gone-from-source": "0123456789abcdef0123456789abcdef01234567",
      "refs/heads/hotfix": "89abcdef0123456789abcdef0123456789abcdef",
    };
    // After the base: main moves on (a new author, a new binary), the XSS branch is force-rewritten,
    // a tag is deleted, a branch is added.
    const m3 = commit(work, CAROL, { "assets/new.bin": binary(4000, 3), "README.md": "hello again\n" });
    git(work, ["checkout", "-q", XSS_BRANCH.slice("refs/heads/".length)]);
    git(work, ["reset", "-q", "--hard", c1]);
    commit(work, ALICE, { "notes.txt": "rewritten\n" });
    git(work, ["checkout", "-q", "-b", "develop", m3]);
    commit(work, BOB, { "src/dev.js": "1\n" });
    git(work, ["checkout", "-q", "main"]);
    git(work, ["branch", "hotfix", m3]);
    git(work, ["tag", "-d", "light"]);
    const gitDir = mirror(work, join(dir, "mirror.git"));
    const refs = refsOf(gitDir);
    const stage = join(dir, "stage");
    mkdirSync(stage);
    const { review } = await stageReview(
      stage,
      { gitDir, refs, defaultBranch: "main", head: refs["refs/heads/main"], lfs: [] },
      {
        name: "app",
        url: "https://git.example.test/group/app.git",
        createdAt: new Date(),
        base: { archiveId: "base-archive-0001", refs: baseRefs },
      },
    );
    const r = Object.fromEntries(review.refs.map((x) => [x.name, x]));
    assert.equal(r["refs/heads/main"].change, "updated");
    assert.deepEqual(r["refs/heads/main"].range, {
      from: baseRefs["refs/heads/main"],
      to: refs["refs/heads/main"],
      excludes_base: false,
    });
    assert.equal(r["refs/heads/main"].commits, 1);
    assert.deepEqual(r["refs/heads/main"].authors, [{ ...CAROL, commits: 1 }]);
    assert.equal(r[XSS_BRANCH].change, "rewritten");
    assert.equal(r[XSS_BRANCH].old, baseRefs[XSS_BRANCH]);
    assert.equal(r[XSS_BRANCH].commits, 1, "only the commit the base lacks");
    assert.equal(r["refs/heads/develop"].change, "added");
    assert.equal(
      r["refs/heads/develop"].commits,
      2,
      "its own commit and main's new one: neither is in the base",
    );
    assert.equal(r["refs/tags/light"].change, "deleted");
    assert.equal(r["refs/tags/light"].new, null);
    assert.equal(r["refs/tags/v1.0"].change, "unchanged");
    assert.equal(r["refs/heads/gone-from-source"].change, "deleted");
    assert.equal(r["refs/heads/hotfix"].change, "rewritten", "its base tip is gone from the source");
    assert.deepEqual(r["refs/heads/hotfix"].range, { from: null, to: m3, excludes_base: true });
    assert.equal(r["refs/heads/hotfix"].commits, 1);
    assert.deepEqual(review.base, { archive_id: "base-archive-0001", tips_found: 5, tips_missing: 2 });

    const expected = git(gitDir, [
      "rev-list",
      "--count",
      "--all",
      "--not",
      ...Object.values(refsOf(baseDir)),
    ]);
    assert.equal(review.history.commits, Number(expected));
    assert.deepEqual(review.history.new_authors, [{ ...CAROL, commits: 1 }]);
    assert.equal(review.history.new_authors_total, 1);
    assert.deepEqual(review.binary_files.files.map((f) => f.path), ["assets/new.bin"]);
    assert.equal(review.binary_files.scope, "commits", "an incremental looks at what its commits change");
    assert.equal(review.objects.largest[0].path, "assets/new.bin");
    assert.ok(!review.objects.largest.some((f) => f.path === "data/big.txt"), "base blobs are not listed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
