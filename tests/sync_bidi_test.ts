/**
 * Bidirectional sync against the forge emulator (real octokit, @gitbeaker/rest, git): first runs,
 * every row of the per-branch table, tags, deletions.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { addCommits, addTag, gitIn, seedHistory, tipOf } from "./support/forge_repos.ts";
import { copyRef, headsAndTags, startBidiFixture, stateRefs } from "./support/bidi_fixture.ts";

Deno.test("bidi first run: target missing → created and filled, state written, second run touches nothing", async () => {
  const p = await startBidiFixture({ targetExists: false });
  try {
    const { main } = seedHistory(p.src, { commits: 2, branches: ["dev"], tags: ["v1"] });
    const r = await p.run();
    assert.equal(r.exitCode, 0, r.out + String(r.error));
    assert.deepEqual(headsAndTags(p.f.gh.refs("myorg/app")), headsAndTags(p.f.gl.refs("backend/app")));
    assert.match(r.out, /🚀 Starting GitLab ↔ GitHub Bidirectional Synchronization\n/);
    assert.match(
      r.out,
      /\n✓ app: No conflicts detected\n {2}GitLab → GitHub: 2 branches, 1 tag \(3 commits\)\n/,
    );
    assert.equal(r.result.repositories[0].targets[0].created, true);
    assert.deepEqual(stateRefs(p.stateFile()), {
      "refs/heads/dev": tipOf(p.src, "refs/heads/dev"),
      "refs/heads/main": main,
      "refs/tags/v1": gitIn(p.src, ["rev-parse", "refs/tags/v1"]),
    });
    assert.ok(r.log.some((e) => e.message.startsWith("No sync state yet at ")));

    const mark = { gl: p.f.gl.log.length, gh: p.f.gh.log.length };
    const again = await p.run();
    assert.equal(again.exitCode, 0);
    assert.match(again.out, /\n✓ app: No conflicts detected\n\n/);
    const touched = [...p.f.gl.log.slice(mark.gl), ...p.f.gh.log.slice(mark.gh)]
      .filter((e) => e.op === "fetch" || e.op === "push");
    assert.deepEqual(touched, [], "an unchanged pair is neither fetched nor pushed");
    assert.equal(again.result.repositories[0].up_to_date, true);
  } finally {
    await p.close();
  }
});

Deno.test("bidi first run: identical sides → nothing moves; source empty → target's refs created on the source", async () => {
  const p = await startBidiFixture();
  try {
    // The target has history, the source is empty.
    seedHistory(p.tgt(), { commits: 2, tags: ["v1"] });
    const r = await p.run();
    assert.equal(r.exitCode, 0, r.out);
    assert.deepEqual(headsAndTags(p.f.gl.refs("backend/app")), headsAndTags(p.f.gh.refs("myorg/app")));
    assert.match(r.out, /✓ app: No conflicts detected\n {2}GitHub → GitLab: 1 branch, 1 tag \(2 commits\)\n/);

    // A second pair whose sides already agree and no state: only the state file is written.
    const q = await startBidiFixture();
    try {
      const { main } = seedHistory(q.src, { commits: 1 });
      copyRef(q.src, q.tgt(), main, "refs/heads/main");
      const mark = q.f.gh.log.length;
      const r2 = await q.run();
      assert.equal(r2.exitCode, 0);
      assert.deepEqual(q.f.gh.log.slice(mark).filter((e) => e.op === "push" || e.op === "fetch"), []);
      assert.deepEqual(stateRefs(q.stateFile()), { "refs/heads/main": main });
    } finally {
      await q.close();
    }
  } finally {
    await p.close();
  }
});

Deno.test("bidi first run: unrelated histories on both sides → conflict, nothing moved, exit 4", async () => {
  const p = await startBidiFixture();
  try {
    const s = addCommits(p.src, "main", 2, { label: "gitlab" });
    const t = addCommits(p.tgt(), "main", 1, { label: "github" });
    const r = await p.run();
    assert.equal(r.exitCode, 4, r.out);
    assert.equal(tipOf(p.src, "refs/heads/main"), s);
    assert.equal(tipOf(p.tgt(), "refs/heads/main"), t);
    assert.ok(
      r.out.includes(
        `⚠ app: Conflict detected on branch 'main'\n  GitLab HEAD: ${s.slice(0, 7)}\n  GitHub HEAD: ${
          t.slice(0, 7)
        }\n  Resolution: fail_fast (manual intervention required)\n`,
      ),
      r.out,
    );
    assert.match(r.out, / {2}With conflicts: 1 \(app\)\n/);
    const ev = r.log.find((e) => e.message === "Conflict detected")!;
    assert.equal(ev.logger, "repo_cloner.bidirectional");
    assert.equal(ev.level, "WARNING");
    assert.equal(ev.repository, "app");
    assert.equal(ev.branch, "main");
    assert.equal(ev.source_sha, s);
    assert.equal(ev.target_sha, t);
    assert.equal(ev.strategy, "fail");
    assert.equal(ev.backup_ref, null);
    assert.deepEqual(stateRefs(p.stateFile()), {}, "a conflict is never recorded as synced");
    assert.equal(r.result.repositories[0].status, "diverged");
  } finally {
    await p.close();
  }
});

Deno.test("bidi: every row of the per-branch table in one run", async () => {
  const p = await startBidiFixture();
  try {
    const { main } = seedHistory(p.src, {
      commits: 1,
      branches: ["same", "src-ahead", "tgt-ahead", "both-ff", "diverged", "del-on-src", "del-on-tgt"],
    });
    const first = await p.run();
    assert.equal(first.exitCode, 0, first.out);
    const tgt = p.tgt();

    const srcAhead = addCommits(p.src, "src-ahead", 2);
    const tgtAhead = addCommits(tgt, "tgt-ahead", 1);
    // both-ff: a commit pushed to both, then one more on the source only.
    const shared = addCommits(p.src, "both-ff", 1, { label: "shared" });
    copyRef(p.src, tgt, shared, "refs/heads/both-ff");
    const bothFf = addCommits(p.src, "both-ff", 1);
    const dSrc = addCommits(p.src, "diverged", 1, { label: "gitlab" });
    const dTgt = addCommits(tgt, "diverged", 1, { label: "github" });
    const newSrc = addCommits(p.src, "new-src", 1, { from: main, label: "n1" });
    const newTgt = addCommits(tgt, "new-tgt", 1, { from: main, label: "n2" });
    const delTips = [tipOf(p.src, "refs/heads/del-on-src"), tipOf(p.src, "refs/heads/del-on-tgt")];
    gitIn(p.src, ["update-ref", "-d", "refs/heads/del-on-src"]);
    gitIn(tgt, ["update-ref", "-d", "refs/heads/del-on-tgt"]);
    const sameTip = tipOf(p.src, "refs/heads/same");

    const mark = { gl: p.f.gl.log.length, gh: p.f.gh.log.length };
    const r = await p.run();
    assert.equal(r.exitCode, 4, r.out);
    const s = p.f.gl.refs("backend/app"), t = p.f.gh.refs("myorg/app");
    const both = (b: string, sha: string | undefined) => {
      assert.equal(s[`refs/heads/${b}`], sha, `${b} on GitLab`);
      assert.equal(t[`refs/heads/${b}`], sha, `${b} on GitHub`);
    };
    both("same", sameTip);
    both("src-ahead", srcAhead);
    both("tgt-ahead", tgtAhead);
    both("both-ff", bothFf);
    both("new-src", newSrc);
    both("new-tgt", newTgt);
    assert.equal(s["refs/heads/diverged"], dSrc, "conflict: GitLab untouched");
    assert.equal(t["refs/heads/diverged"], dTgt, "conflict: GitHub untouched");
    // Deleted on one side, unchanged on the other, propagate_deletes off: reported, kept.
    assert.equal(s["refs/heads/del-on-src"], undefined);
    assert.ok(t["refs/heads/del-on-src"]);
    assert.ok(s["refs/heads/del-on-tgt"]);
    assert.equal(t["refs/heads/del-on-tgt"], undefined);
    assert.deepEqual(Object.keys(s).filter((k) => k.startsWith("refs/repo-cloner/")), []);

    const plan = Object.fromEntries(
      r.result.repositories[0].targets[0].bidirectional!.plan.map((e) => [e.ref.slice(11), [e.action, e.to]]),
    );
    assert.deepEqual(plan, {
      "both-ff": ["fast-forward", "target"],
      "del-on-src": ["deleted", "target"],
      "del-on-tgt": ["deleted", "source"],
      diverged: ["conflict", undefined],
      "new-src": ["create", "target"],
      "new-tgt": ["create", "source"],
      "src-ahead": ["fast-forward", "target"],
      "tgt-ahead": ["fast-forward", "source"],
    });
    assert.match(r.out, /⚠ app: Conflict detected on branch 'diverged'\n/);
    assert.match(
      r.out,
      / {2}GitLab → GitHub: 3 branches \(4 commits\)\n {2}GitHub → GitLab: 2 branches \(2 commits\)\n/,
    );
    assert.match(
      r.out,
      / {2}Deleted on one side only, kept \(propagate_deletes is off\): del-on-src, del-on-tgt\n/,
    );
    // Each side fetched once, pushed once.
    const newGl = p.f.gl.log.slice(mark.gl), newGh = p.f.gh.log.slice(mark.gh);
    assert.equal(newGl.filter((e) => e.op === "fetch").length, 1);
    assert.equal(newGh.filter((e) => e.op === "fetch").length, 1);
    assert.equal(newGl.filter((e) => e.op === "push" && e.method === "POST").length, 1);
    assert.equal(newGh.filter((e) => e.op === "push" && e.method === "POST").length, 1);

    // State: agreed refs recorded; the conflict and the unpropagated deletions keep their old entries.
    const st = stateRefs(p.stateFile());
    assert.equal(st["refs/heads/src-ahead"], srcAhead);
    assert.equal(st["refs/heads/new-tgt"], newTgt);
    assert.equal(st["refs/heads/diverged"], tipOf(p.src, `${dSrc}~1`));
    assert.deepEqual([st["refs/heads/del-on-src"], st["refs/heads/del-on-tgt"]], delTips);

    // The next run reports the same conflict and deletions, and moves nothing.
    const again = await p.run();
    assert.equal(again.exitCode, 4);
    assert.deepEqual(p.f.gl.refs("backend/app"), s);
    assert.deepEqual(p.f.gh.refs("myorg/app"), t);
  } finally {
    await p.close();
  }
});

Deno.test("bidi: deletions propagate only with propagate_deletes; deleted on both sides is forgotten", async () => {
  const p = await startBidiFixture();
  try {
    seedHistory(p.src, { commits: 1, branches: ["a", "b", "gone"], tags: ["old"] });
    await p.run();
    const tgt = p.tgt();
    gitIn(p.src, ["update-ref", "-d", "refs/heads/a"]);
    gitIn(tgt, ["update-ref", "-d", "refs/heads/b"]);
    gitIn(tgt, ["update-ref", "-d", "refs/tags/old"]);
    gitIn(p.src, ["update-ref", "-d", "refs/heads/gone"]);
    gitIn(tgt, ["update-ref", "-d", "refs/heads/gone"]);

    const kept = await p.run();
    assert.equal(kept.exitCode, 0, kept.out);
    assert.ok(p.f.gh.refs("myorg/app")["refs/heads/a"], "not propagated without propagate_deletes");
    assert.ok(p.f.gl.refs("backend/app")["refs/heads/b"]);
    assert.ok(p.f.gl.refs("backend/app")["refs/tags/old"]);
    assert.match(kept.out, /Deleted on one side only, kept \(propagate_deletes is off\): a, b, old\n/);
    assert.equal(stateRefs(p.stateFile())["refs/heads/gone"], undefined, "deleted on both sides: forgotten");

    const r = await p.run({ propagate_deletes: true });
    assert.equal(r.exitCode, 0, r.out);
    assert.deepEqual(Object.keys(headsAndTags(p.f.gl.refs("backend/app"))), ["refs/heads/main"]);
    assert.deepEqual(Object.keys(headsAndTags(p.f.gh.refs("myorg/app"))), ["refs/heads/main"]);
    assert.match(
      r.out,
      / {2}GitLab → GitHub: 1 deleted \(0 commits\)\n {2}GitHub → GitLab: 2 deleted \(0 commits\)\n/,
    );
    assert.deepEqual(Object.keys(stateRefs(p.stateFile())), ["refs/heads/main"]);
  } finally {
    await p.close();
  }
});

Deno.test("bidi: tags are immutable — a tag at different objects is a conflict under every strategy", async () => {
  const p = await startBidiFixture();
  try {
    const { main } = seedHistory(p.src, { commits: 2 });
    await p.run();
    const tgt = p.tgt();
    const onSrc = addTag(p.src, "v1", main);
    const onTgt = addTag(tgt, "v1", tipOf(tgt, "refs/heads/main~1")!);
    addTag(p.src, "v2", main);
    for (const strategy of ["fail", "source_wins", "target_wins"] as const) {
      const r = await p.run({ conflict_resolution: strategy });
      assert.equal(r.exitCode, 4, r.out);
      assert.equal(gitIn(p.src, ["rev-parse", "refs/tags/v1"]), onSrc);
      assert.equal(gitIn(tgt, ["rev-parse", "refs/tags/v1"]), onTgt);
      assert.ok(
        r.out.includes(
          `⚠ app: Conflict detected on tag 'v1'\n  GitLab tag: ${onSrc.slice(0, 7)}\n  GitHub tag: ${
            onTgt.slice(0, 7)
          }\n  Resolution: none, tags are immutable (manual intervention required)\n`,
        ),
        r.out,
      );
      const ev = r.log.find((e) => e.message === "Conflict detected")!;
      assert.equal(ev.tag, "v1");
      assert.equal(ev.strategy, strategy);
    }
    assert.ok(p.f.gh.refs("myorg/app")["refs/tags/v2"], "a new tag still travels");
    assert.equal(existsSync(p.stateFile()), true);
  } finally {
    await p.close();
  }
});
