/**
 * Conflict strategies of bidirectional sync on the forge emulator: `source_wins` / `target_wins`
 * overwrite the losing side only after saving its tip under refs/repo-cloner/backup/<branch>/<UTC>,
 * and the overwritten commit comes back with the command documented in docs/WORKFLOWS.md.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { addCommits, gitIn, seedHistory, tipOf } from "./support/forge_repos.ts";
import { headsAndTags, startBidiFixture, stateRefs } from "./support/bidi_fixture.ts";
import { tempDir } from "./support/binary.ts";

const BACKUP = /^refs\/repo-cloner\/backup\/main\/\d{8}T\d{6}Z$/;

/** Runs git in a working clone (plain git, as a person would). */
function sh(cwd: string, args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "Person",
      GIT_AUTHOR_EMAIL: "p@example.invalid",
      GIT_COMMITTER_NAME: "Person",
      GIT_COMMITTER_EMAIL: "p@example.invalid",
    },
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

for (const strategy of ["source_wins", "target_wins"] as const) {
  Deno.test(`bidi ${strategy}: the losing tip is backed up on its side, overwritten, logged, and restorable`, async () => {
    const p = await startBidiFixture();
    try {
      seedHistory(p.src, { commits: 1 });
      await p.run();
      const tgt = p.tgt();
      const s = addCommits(p.src, "main", 2, { label: "gitlab" });
      const t = addCommits(tgt, "main", 1, { label: "github" });
      const [winner, loser, loserDir, loserName, lost, won] = strategy === "source_wins"
        ? ["GitLab", "GitHub", tgt, "myorg/app", t, s]
        : ["GitHub", "GitLab", p.src, "backend/app", s, t];

      const r = await p.run({ conflict_resolution: strategy });
      assert.equal(r.exitCode, 0, r.out);
      const refs = (strategy === "source_wins" ? p.f.gh : p.f.gl).refs(loserName);
      const backups = Object.keys(refs).filter((k) => k.startsWith("refs/repo-cloner/"));
      assert.equal(backups.length, 1, JSON.stringify(refs));
      const backup = backups[0];
      assert.match(backup, BACKUP);
      assert.equal(refs[backup], lost, "the losing tip is saved on the losing side");
      assert.deepEqual(headsAndTags(p.f.gl.refs("backend/app")), headsAndTags(p.f.gh.refs("myorg/app")));
      assert.equal(tipOf(p.src, "refs/heads/main"), won);
      assert.equal(stateRefs(p.stateFile())["refs/heads/main"], won);
      // The winning side carries no backup ref.
      const winnerRefs = (strategy === "source_wins" ? p.f.gl : p.f.gh).refs(
        strategy === "source_wins" ? "backend/app" : "myorg/app",
      );
      assert.deepEqual(Object.keys(winnerRefs).filter((k) => k.startsWith("refs/repo-cloner/")), []);

      assert.ok(
        r.out.includes(
          `⚠ app: Conflict detected on branch 'main'\n  GitLab HEAD: ${s.slice(0, 7)}\n  GitHub HEAD: ${
            t.slice(0, 7)
          }\n  Resolution: ${strategy} (${loser} main set to ${winner} ${
            won.slice(0, 7)
          }; previous ${loser} HEAD ${lost.slice(0, 7)} saved as ${backup})\n`,
        ),
        r.out,
      );
      const ev = r.log.find((e) => e.message === "Conflict detected")!;
      assert.deepEqual(
        [ev.repository, ev.branch, ev.source_sha, ev.target_sha, ev.strategy, ev.backup_ref, ev.backup_sha],
        ["app", "main", s, t, strategy, backup, lost],
      );
      assert.equal(r.result.repositories[0].status, "success");

      // Restore, as docs/WORKFLOWS.md says, from a person's clone of the losing side.
      const work = join(tempDir("rc-restore-"), "clone");
      sh(tempDir(), ["clone", "-q", loserDir, work]);
      sh(work, ["fetch", "-q", "origin", `${backup}:refs/heads/main-before-sync`]);
      assert.equal(sh(work, ["rev-parse", "main-before-sync"]), lost, "the overwritten commit is back");
      sh(work, ["merge", "-q", "--no-edit", "main-before-sync"]);
      sh(work, ["push", "-q", "origin", "main"]);
      const merged = sh(work, ["rev-parse", "HEAD"]);

      // The next run fast-forwards the other side: both lines of work now live on both platforms.
      const next = await p.run({ conflict_resolution: strategy });
      assert.equal(next.exitCode, 0, next.out);
      assert.match(next.out, /✓ app: No conflicts detected\n/);
      for (const dir of [p.src, tgt]) {
        assert.equal(tipOf(dir, "refs/heads/main"), merged);
        gitIn(dir, ["merge-base", "--is-ancestor", lost, "refs/heads/main"]);
        gitIn(dir, ["merge-base", "--is-ancestor", won, "refs/heads/main"]);
      }
    } finally {
      await p.close();
    }
  });
}

Deno.test("bidi source_wins: the documented force restore puts the branch back exactly", async () => {
  const p = await startBidiFixture();
  try {
    seedHistory(p.src, { commits: 1 });
    await p.run();
    const tgt = p.tgt();
    addCommits(p.src, "main", 1, { label: "gitlab" });
    const t = addCommits(tgt, "main", 1, { label: "github" });
    await p.run({ conflict_resolution: "source_wins" });
    const backup = Object.keys(p.f.gh.refs("myorg/app")).find((k) => k.startsWith("refs/repo-cloner/"))!;
    const work = join(tempDir("rc-restore-"), "clone");
    sh(tempDir(), ["clone", "-q", tgt, work]);
    sh(work, ["fetch", "-q", "origin", `${backup}:refs/heads/main-before-sync`]);
    sh(work, ["push", "-q", "--force-with-lease=main", "origin", "main-before-sync:main"]);
    assert.equal(tipOf(tgt, "refs/heads/main"), t);
    // With fail the sync now reports the rewrite instead of overwriting it again.
    const r = await p.run({ conflict_resolution: "fail" });
    assert.equal(r.exitCode, 4);
    assert.equal(tipOf(tgt, "refs/heads/main"), t);
    assert.match(r.out, /Conflict detected on branch 'main'/);
    assert.equal(
      r.result.repositories[0].targets[0].bidirectional!.conflicts[0].reason,
      "history rewritten on target since the last sync",
    );
  } finally {
    await p.close();
  }
});

Deno.test("bidi strategies and deletions: a winner's deletion needs propagate_deletes; the loser's tip is kept first", async () => {
  const p = await startBidiFixture();
  try {
    seedHistory(p.src, { commits: 1, branches: ["topic"] });
    await p.run();
    const tgt = p.tgt();
    gitIn(p.src, ["update-ref", "-d", "refs/heads/topic"]);
    const changed = addCommits(tgt, "topic", 1, { label: "github" });

    const kept = await p.run({ conflict_resolution: "source_wins" });
    assert.equal(kept.exitCode, 4, kept.out);
    assert.equal(tipOf(tgt, "refs/heads/topic"), changed);
    assert.match(
      kept.out,
      /Resolution: source_wins not applied: the source deleted it and deletions are not propagated \(propagate_deletes is off\) \(manual intervention required\)/,
    );

    const r = await p.run({ conflict_resolution: "source_wins", propagate_deletes: true });
    assert.equal(r.exitCode, 0, r.out);
    const refs = p.f.gh.refs("myorg/app");
    assert.equal(refs["refs/heads/topic"], undefined);
    const backup = Object.keys(refs).find((k) => k.startsWith("refs/repo-cloner/backup/topic/"));
    assert.ok(backup, JSON.stringify(refs));
    assert.equal(refs[backup], changed);
    assert.equal(stateRefs(p.stateFile())["refs/heads/topic"], undefined);
  } finally {
    await p.close();
  }
});

Deno.test("bidi --dry-run prints the per-ref plan and changes nothing", async () => {
  const p = await startBidiFixture();
  try {
    seedHistory(p.src, { commits: 1, branches: ["x"] });
    await p.run();
    const tgt = p.tgt();
    const s = addCommits(p.src, "main", 1, { label: "gitlab" });
    const t = addCommits(tgt, "main", 1, { label: "github" });
    const x = addCommits(tgt, "x", 2);
    const before = {
      gl: p.f.gl.refs("backend/app"),
      gh: p.f.gh.refs("myorg/app"),
      state: stateRefs(p.stateFile()),
    };
    const mark = { gl: p.f.gl.log.length, gh: p.f.gh.log.length };
    const r = await p.run({ conflict_resolution: "source_wins" }, { dryRun: true });
    assert.equal(r.exitCode, 0, r.out);
    assert.deepEqual(p.f.gl.refs("backend/app"), before.gl);
    assert.deepEqual(p.f.gh.refs("myorg/app"), before.gh);
    assert.deepEqual(stateRefs(p.stateFile()), before.state);
    const writes = [...p.f.gl.log.slice(mark.gl), ...p.f.gh.log.slice(mark.gh)].filter((e) =>
      e.op === "push" || (e.op === "api" && e.method !== "GET")
    );
    assert.deepEqual(writes, []);
    const lines = r.out.split("\n");
    const at = lines.indexOf("→ app: 2 refs to act on (dry run)");
    assert.ok(at > 0, r.out);
    assert.equal(lines[at + 1], "  branch main: conflict: changed on both sides since the last sync");
    assert.equal(
      lines[at + 2],
      `  branch x: fast-forward GitLab ${before.gl["refs/heads/x"].slice(0, 7)} → ${
        x.slice(0, 7)
      } (changed on target only)`,
    );
    assert.equal(lines[at + 3], "⚠ app: Conflict detected on branch 'main'");
    assert.match(
      lines[at + 6],
      new RegExp(
        `^ {2}Resolution: source_wins \\(GitHub main would be set to GitLab ${
          s.slice(0, 7)
        }; previous GitHub HEAD ${
          t.slice(0, 7)
        } would be saved as refs/repo-cloner/backup/main/\\d{8}T\\d{6}Z\\)$`,
      ),
    );
    assert.match(r.out, /Total branches to sync: 2\n/);
    assert.match(r.out, /✅ Dry run complete: nothing was changed/);
  } finally {
    await p.close();
  }
});
