import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectHistory } from "./collect_history.ts";
import type { ReviewAuthor } from "./review_schema.ts";

const AUTHORS = [
  { name: "Ada", email: "ada@example.test" },
  { name: "Bo", email: "bo@example.test" },
  { name: "Cy", email: "cy@example.test" },
];

function git(dir: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync("git", ["-C", dir, ...args], {
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: "1",
      HOME: dir,
      GIT_COMMITTER_NAME: "Committer",
      GIT_COMMITTER_EMAIL: "committer@example.test",
      ...env,
    },
  }).trim();
}

/**
 * A history with forks, merges (also of branches into each other), annotated and lightweight tags:
 * `steps` commits spread over four branches by a fixed pattern, every 7th step a merge.
 */
function buildRepo(work: string, steps: number, from = 0): void {
  const branches = ["main", "dev", "topic/a", "topic/b"];
  for (let i = from; i < from + steps; i++) {
    const branch = branches[(i * 5) % branches.length];
    git(work, ["checkout", "-q", branch]);
    const who = AUTHORS[(i * 7) % AUTHORS.length];
    const env = {
      GIT_AUTHOR_NAME: who.name,
      GIT_AUTHOR_EMAIL: who.email,
      GIT_AUTHOR_DATE: `${1_700_000_000 + i} +0000`,
      GIT_COMMITTER_DATE: `${1_700_000_000 + i} +0000`,
    };
    if (i % 7 === 6) {
      const other = branches[(i * 3 + 1) % branches.length];
      if (other !== branch) {
        git(work, ["merge", "-q", "--no-ff", "--allow-unrelated-histories", "-m", `merge ${i}`, other], env);
        continue;
      }
    }
    writeFileSync(join(work, `${branch.replace("/", "_")}.txt`), `step ${i}\n`);
    git(work, ["add", "-A"]);
    git(work, ["commit", "-q", "-m", `step ${i}`], env);
    if (i % 9 === 4) git(work, ["tag", `t${i}`]);
    if (i % 9 === 8) git(work, ["tag", "-a", "-m", `annotated ${i}`, `a${i}`]);
  }
  git(work, ["checkout", "-q", "main"]);
}

function init(): { dir: string; work: string } {
  const dir = mkdtempSync(join(tmpdir(), "rc-history-"));
  const work = join(dir, "work");
  execFileSync("git", ["init", "-q", "-b", "main", work]);
  writeFileSync(join(work, "README"), "root\n");
  git(work, ["add", "-A"]);
  git(work, ["commit", "-q", "-m", "root"], { GIT_AUTHOR_NAME: "Ada", GIT_AUTHOR_EMAIL: "ada@example.test" });
  for (const b of ["dev", "topic/a", "topic/b"]) git(work, ["branch", b]);
  return { dir, work };
}

function refsOf(gitDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of git(gitDir, ["for-each-ref", "--format=%(objectname) %(refname)"]).split("\n")) {
    if (line) out[line.slice(line.indexOf(" ") + 1)] = line.slice(0, line.indexOf(" "));
  }
  return out;
}

/** What `git log <revisions>` says: commits, and authors as the collector sorts them. */
function gitTally(gitDir: string, revisions: string[]): { commits: number; authors: ReviewAuthor[] } {
  const out = execFileSync("git", ["-C", gitDir, "log", "--format=%aN%x00%aE", "--stdin"], {
    input: revisions.map((r) => r + "\n").join(""),
    encoding: "utf8",
  });
  const lines = out.split("\n").filter(Boolean);
  const by = new Map<string, ReviewAuthor>();
  for (const l of lines) {
    const [name, email] = l.split("\0");
    const a = by.get(l) ?? { name, email, commits: 0 };
    a.commits++;
    by.set(l, a);
  }
  const authors = [...by.values()].sort((a, b) => b.commits - a.commits || (a.name < b.name ? -1 : 1));
  return { commits: lines.length, authors };
}

Deno.test("collectHistory() counts every ref of a full archive exactly as `git log <tip>` does", async () => {
  const { dir, work } = init();
  try {
    buildRepo(work, 60);
    const gitDir = join(dir, "m.git");
    execFileSync("git", ["clone", "-q", "--bare", work, gitDir]);
    const refs = refsOf(gitDir);
    const h = await collectHistory(gitDir, refs, { defaultBranch: "main" });
    assert.equal(h.refs.length, Object.keys(refs).length);
    for (const ref of h.refs) {
      const expected = gitTally(gitDir, [ref.range!.to]);
      assert.equal(ref.commits, expected.commits, ref.name);
      assert.deepEqual(ref.authors, expected.authors, ref.name);
      assert.equal(ref.authors_total, expected.authors.length, ref.name);
    }
    const all = gitTally(gitDir, Object.values(refs));
    assert.equal(h.history.commits, all.commits);
    assert.deepEqual(h.history.authors, all.authors);
    assert.ok(h.refs.some((r) => r.commits! > 20), "the fixture has long ranges");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("collectHistory() counts an incremental's ranges as `git log` does: tip minus the base, and from..to", async () => {
  const { dir, work } = init();
  try {
    buildRepo(work, 40);
    const base = join(dir, "base.git");
    execFileSync("git", ["clone", "-q", "--bare", work, base]);
    const baseRefs = refsOf(base);
    buildRepo(work, 30, 40);
    git(work, ["branch", "late", "topic/a"]);
    const gitDir = join(dir, "m.git");
    execFileSync("git", ["clone", "-q", "--bare", work, gitDir]);
    const refs = refsOf(gitDir);
    const h = await collectHistory(gitDir, refs, {
      defaultBranch: "main",
      base: { archiveId: "base-1", refs: baseRefs },
    });
    const excludes = [
      ...new Set(Object.values(baseRefs).map((o) => git(base, ["rev-parse", `${o}^{commit}`]))),
    ];
    let updated = 0;
    let added = 0;
    for (const ref of h.refs) {
      if (!ref.range) {
        assert.equal(ref.commits, 0, ref.name);
        continue;
      }
      const r = ref.range;
      const revs = [
        r.to,
        ...(r.from ? [`^${r.from}`] : []),
        ...(r.excludes_base ? excludes.map((e) => `^${e}`) : []),
      ];
      const expected = gitTally(gitDir, revs);
      assert.equal(ref.commits, expected.commits, ref.name);
      assert.deepEqual(ref.authors, expected.authors, ref.name);
      if (ref.change === "updated") updated++;
      if (ref.change === "added") added++;
    }
    assert.ok(updated >= 3 && added >= 1, `fixture covers both kinds (${updated} updated, ${added} added)`);
    const all = gitTally(gitDir, [...Object.values(refs), ...excludes.map((e) => `^${e}`)]);
    assert.equal(h.history.commits, all.commits);
    assert.deepEqual(h.history.authors, all.authors);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
