import assert from "node:assert/strict";
import { planBidirectional } from "./bidi_plan.ts";
import { backupRef, backupStamp, resolveBidiPlan } from "./bidi_resolve.ts";
import type { RefMap } from "./refs.ts";

const A = "a".repeat(40), B = "b".repeat(40), C = "c".repeat(40);
const refs = (o: Record<string, string>): RefMap =>
  new Map(Object.entries(o).map(([k, v]) => [k, { sha: v, commit: v }]));
const STAMP = "20251013T153000Z";

Deno.test("backupStamp() is UTC YYYYMMDDTHHMMSSZ; backupRef() keeps slashes of the branch", () => {
  assert.equal(backupStamp(new Date("2025-10-13T15:30:00.123Z")), STAMP);
  assert.equal(backupRef("refs/heads/feature/x", STAMP), `refs/repo-cloner/backup/feature/x/${STAMP}`);
});

Deno.test("resolveBidiPlan() applies each strategy to a diverged branch", async (t) => {
  // main diverged (no ancestry answers), dev new on target, v1 tag differs.
  const plan = planBidirectional({
    source: refs({ "refs/heads/main": B, "refs/tags/v1": A }),
    target: refs({ "refs/heads/main": C, "refs/heads/dev": A, "refs/tags/v1": C }),
    state: new Map([["refs/heads/main", A]]),
  });
  await t.step("fail: only the creation moves, both conflicts unresolved", () => {
    const r = resolveBidiPlan(plan, { strategy: "fail", stamp: STAMP });
    assert.deepEqual(r.updates.map((u) => [u.side, u.ref, u.why]), [["source", "refs/heads/dev", "create"]]);
    assert.equal(r.updates[0].expected, undefined, "a creation leases 'must not exist'");
    assert.deepEqual(r.conflicts.map((c) => [c.ref, c.unresolved]), [
      ["refs/heads/main", "manual intervention required"],
      ["refs/tags/v1", "tags are immutable"],
    ]);
  });
  await t.step("source_wins: target main overwritten, its tip backed up on the target, tag untouched", () => {
    const r = resolveBidiPlan(plan, { strategy: "source_wins", stamp: STAMP });
    const main = r.updates.find((u) => u.ref === "refs/heads/main")!;
    assert.deepEqual(main, {
      side: "target",
      ref: "refs/heads/main",
      kind: "branch",
      sha: B,
      expected: C,
      backup: { ref: `refs/repo-cloner/backup/main/${STAMP}`, sha: C },
      why: "overwrite",
    });
    assert.equal(r.updates.some((u) => u.ref === "refs/tags/v1"), false);
    assert.deepEqual(r.conflicts[0].backup, {
      side: "target",
      ref: `refs/repo-cloner/backup/main/${STAMP}`,
      sha: C,
    });
  });
  await t.step("target_wins: source main overwritten, its tip backed up on the source", () => {
    const r = resolveBidiPlan(plan, { strategy: "target_wins", stamp: STAMP });
    const main = r.updates.find((u) => u.ref === "refs/heads/main")!;
    assert.equal(main.side, "source");
    assert.equal(main.sha, C);
    assert.equal(main.expected, B);
    assert.deepEqual(main.backup, { ref: `refs/repo-cloner/backup/main/${STAMP}`, sha: B });
  });
});

Deno.test("resolveBidiPlan() applies a winner's deletion only with propagateDeletes, after a backup", () => {
  // Deleted on source, changed on target since the last sync.
  const plan = planBidirectional({
    source: new Map(),
    target: refs({ "refs/heads/x": B }),
    state: new Map([["refs/heads/x", A]]),
  });
  const kept = resolveBidiPlan(plan, { strategy: "source_wins", stamp: STAMP });
  assert.deepEqual(kept.updates, []);
  assert.match(kept.conflicts[0].unresolved!, /propagate_deletes is off/);
  const gone = resolveBidiPlan(plan, { strategy: "source_wins", stamp: STAMP, propagateDeletes: true });
  assert.equal(gone.updates[0].sha, undefined);
  assert.equal(gone.updates[0].expected, B);
  assert.equal(gone.updates[0].backup?.sha, B);
  // The winner that kept the branch re-creates it on the side that deleted it; nothing to back up.
  const back = resolveBidiPlan(plan, { strategy: "target_wins", stamp: STAMP });
  assert.deepEqual(back.updates.map((u) => [u.side, u.sha, u.why, u.backup]), [[
    "source",
    B,
    "create",
    undefined,
  ]]);
});
