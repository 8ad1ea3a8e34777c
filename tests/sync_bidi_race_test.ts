/**
 * Races and bad state in bidirectional sync. A person pushes to the target after the engine fetched
 * it and before its push reads the target's refs (the forge parks the push's ref advertisement while
 * the test moves the ref): the lease refuses, nothing is lost, the next run converges. A state file
 * that is missing, corrupt or from another pair falls back to "no state" with a clear message.
 */
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { addCommits, gitIn, seedHistory, tipOf } from "./support/forge_repos.ts";
import { copyRef, headsAndTags, startBidiFixture, stateRefs } from "./support/bidi_fixture.ts";
import { saveBidiState } from "../src/sync/bidi_state.ts";

/**
 * A `hold` fault on the target's push advertisement (`GET info/refs?service=git-receive-pack`): the
 * forge calls `move` before it answers, so git reads the refs after the test moved one. `skip`
 * lets that many pushes through first.
 */
function holdTargetPush(move: () => void, options: { skip?: number } = {}) {
  let seen = 0;
  const skip = options.skip ?? 0;
  return {
    match: /^\/myorg\/app\.git\/info\/refs$/,
    query: /service=git-receive-pack/,
    kind: "hold" as const,
    times: skip + 1,
    until: Promise.resolve(),
    onHold: () => {
      if (seen++ === skip) move();
    },
  };
}

Deno.test("bidi race: the target moves between fetch and push → lease refuses, nothing lost, next run converges", async () => {
  const p = await startBidiFixture();
  try {
    seedHistory(p.src, { commits: 1 });
    await p.run();
    const tgt = p.tgt();
    const s = addCommits(p.src, "main", 2);
    // A person who works on both platforms pushes s plus one commit of theirs to GitHub — right after
    // the engine fetched GitHub, while its fast-forward push of s is about to start.
    let person = "";
    const fault = holdTargetPush(() => {
      copyRef(p.src, tgt, s, "refs/heads/main");
      person = addCommits(tgt, "main", 1, { label: "person" });
    });
    p.f.gh.faults.push(fault);
    const r = await p.run();
    assert.equal(person.length, 40, "the race happened");
    assert.equal(tipOf(tgt, "refs/heads/main"), person, "the person's push survives");
    assert.equal(tipOf(p.src, "refs/heads/main"), s);
    assert.equal(r.exitCode, 1, r.out);
    const repo = r.result.repositories[0];
    assert.equal(repo.status, "failure");
    assert.equal(repo.error_type, "RefMoved");
    assert.match(
      repo.error!,
      /^Cannot sync "backend\/app": main on GitHub \(\[rejected\] \(stale info\)\) — the ref moved while this run was pushing, so the push was refused and nothing was overwritten\. It will be retried on the next run$/,
    );
    assert.equal(repo.retries, 0, "a refused lease is not retried within the run");
    const failed = r.log.find((e) => e.message === "Repository sync failed")!;
    assert.equal(failed.error_type, "RefMoved");
    assert.equal(stateRefs(p.stateFile())["refs/heads/main"], tipOf(p.src, `${s}~2`), "state not advanced");

    const next = await p.run();
    assert.equal(next.exitCode, 0, next.out);
    assert.equal(tipOf(p.src, "refs/heads/main"), person);
    assert.equal(tipOf(tgt, "refs/heads/main"), person);
    assert.equal(stateRefs(p.stateFile())["refs/heads/main"], person);
  } finally {
    await p.close();
  }
});

Deno.test("bidi race: source_wins never clobbers a push that lands after the backup", async () => {
  const p = await startBidiFixture();
  try {
    seedHistory(p.src, { commits: 1 });
    await p.run();
    const tgt = p.tgt();
    const s = addCommits(p.src, "main", 1, { label: "gitlab" });
    const t = addCommits(tgt, "main", 1, { label: "github" });
    let late = "";
    // First receive-pack advertisement: the backup push (let through); second: the overwrite.
    p.f.gh.faults.push(holdTargetPush(() => {
      late = addCommits(tgt, "main", 1, { label: "late" });
    }, { skip: 1 }));
    const r = await p.run({ conflict_resolution: "source_wins" });
    assert.equal(late.length, 40, "the race happened");
    assert.equal(r.exitCode, 1, r.out);
    assert.equal(tipOf(tgt, "refs/heads/main"), late, "the late push survives");
    const backups = Object.entries(p.f.gh.refs("myorg/app")).filter(([k]) =>
      k.startsWith("refs/repo-cloner/")
    );
    assert.deepEqual(backups.map(([, v]) => v), [t], "the first losing tip was saved before the attempt");
    const ev = r.log.find((e) => e.message === "Conflict detected")!;
    assert.deepEqual([ev.backup_ref, ev.backup_sha, ev.resolution], [
      backups[0][0],
      t,
      "source_wins: refused, nothing overwritten",
    ]);

    const next = await p.run({ conflict_resolution: "source_wins" });
    assert.equal(next.exitCode, 0, next.out);
    assert.equal(tipOf(tgt, "refs/heads/main"), s);
    const saved = Object.values(p.f.gh.refs("myorg/app"));
    assert.ok(saved.includes(late) && saved.includes(t), "both overwritten tips are kept under backup refs");
  } finally {
    await p.close();
  }
});

Deno.test("bidi state: missing, corrupt or another pair's file → clear message, safe no-state behaviour", async (t) => {
  const p = await startBidiFixture();
  try {
    seedHistory(p.src, { commits: 1, branches: ["gone-on-target"] });
    await p.run();
    const tgt = p.tgt();
    // Since the last sync the target deleted a branch and gained one commit on main.
    const kept = tipOf(p.src, "refs/heads/gone-on-target")!;
    gitIn(tgt, ["update-ref", "-d", "refs/heads/gone-on-target"]);
    const t2 = addCommits(tgt, "main", 1);
    const file = p.stateFile();
    const cases: Array<[string, () => void, RegExp, string]> = [
      [
        "corrupt",
        () => writeFileSync(file, '{"format": "repo-cloner/bidirectional-state", "ver'),
        /^⚠ app: Cannot use the sync state ".*app\.json": not valid JSON\. Treating this run as a first sync: refs move only where one side contains the other, nothing is deleted$/m,
        "corrupt",
      ],
      [
        "another pair",
        () =>
          saveBidiState(file, {
            sourceUrl: `${p.f.gl.url}/backend/other.git`,
            targetUrl: `${p.f.gh.url}/myorg/app.git`,
          }, new Map([["refs/heads/main", t2]])),
        /^⚠ app: Cannot use the sync state ".*app\.json": it belongs to another pair \(.*backend\/other\.git ↔ .*myorg\/app\.git\), this run syncs .*backend\/app\.git ↔ .*myorg\/app\.git\. Treating this run as a first sync/m,
        "other-pair",
      ],
      [
        "missing",
        () => rmSync(file),
        /^ {2}No sync state yet at ".*app\.json": first bidirectional sync$/m,
        "missing",
      ],
    ];
    for (const [name, spoil, message, status] of cases) {
      await t.step(name, async () => {
        // Put both sides back to "target deleted a branch, target ahead on main".
        copyRef(tgt, p.src, tipOf(tgt, "refs/heads/main~1")!, "refs/heads/main");
        gitIn(tgt, ["update-ref", "refs/heads/main", t2]);
        gitIn(tgt, ["update-ref", "-d", "refs/heads/gone-on-target"]);
        mkdirSync(dirname(file), { recursive: true });
        spoil();
        const r = await p.run({ propagate_deletes: true });
        assert.equal(r.exitCode, 0, r.out);
        assert.match(r.out, message);
        assert.equal(r.result.repositories[0].targets[0].bidirectional!.state.status, status);
        if (status !== "missing") {
          const ev = r.log.find((e) => e.state === status)!;
          assert.equal(ev.level, "WARNING");
        }
        // No state: the deletion is not trusted (the branch is re-created on the target, nothing is
        // deleted even with propagate_deletes), the fast-forward still happens.
        assert.equal(tipOf(tgt, "refs/heads/gone-on-target"), kept);
        assert.equal(tipOf(p.src, "refs/heads/main"), t2);
        assert.deepEqual(headsAndTags(p.f.gl.refs("backend/app")), headsAndTags(p.f.gh.refs("myorg/app")));
        // A fresh, valid state for this pair replaces the bad file.
        assert.equal(stateRefs(file)["refs/heads/main"], t2);
      });
    }
  } finally {
    await p.close();
  }
});
