import assert from "node:assert/strict";
import { ancestryKey, ancestryQuestions, type BidiPlanInput, planBidirectional } from "./bidi_plan.ts";
import type { RefMap } from "./refs.ts";

const A = "a".repeat(40), B = "b".repeat(40), C = "c".repeat(40), D = "d".repeat(40);
const refs = (o: Record<string, string>): RefMap =>
  new Map(Object.entries(o).map(([k, v]) => [k, { sha: v, commit: v }]));
/** `x < y` means x is an ancestor of y. */
const history = (...pairs: Array<[string, string]>) =>
  new Map(pairs.map(([a, d]) => [ancestryKey(a, d), true]));
const M = "refs/heads/main", T = "refs/tags/v1";

function one(input: Partial<BidiPlanInput>) {
  const plan = planBidirectional({ source: new Map(), target: new Map(), ...input });
  assert.equal(plan.entries.length, 1);
  return plan.entries[0];
}

Deno.test("planBidirectional() plans each row of the per-branch table", async (t) => {
  const rows: Array<{ name: string; input: Partial<BidiPlanInput>; want: Record<string, unknown> }> = [
    {
      name: "unchanged on both sides → nothing",
      input: { source: refs({ [M]: A }), target: refs({ [M]: A }), state: new Map([[M, A]]) },
      want: { action: "up-to-date" },
    },
    {
      name: "changed on source only → fast-forward target",
      input: {
        source: refs({ [M]: B }),
        target: refs({ [M]: A }),
        state: new Map([[M, A]]),
        ancestry: history([A, B]),
      },
      want: { action: "fast-forward", to: "target", reason: "changed on source only" },
    },
    {
      name: "changed on target only → fast-forward source",
      input: {
        source: refs({ [M]: A }),
        target: refs({ [M]: B }),
        state: new Map([[M, A]]),
        ancestry: history([A, B]),
      },
      want: { action: "fast-forward", to: "source", reason: "changed on target only" },
    },
    {
      name: "both changed, target tip an ancestor of source tip → fast-forward target",
      input: {
        source: refs({ [M]: C }),
        target: refs({ [M]: B }),
        state: new Map([[M, A]]),
        ancestry: history([A, B], [A, C], [B, C]),
      },
      want: { action: "fast-forward", to: "target", reason: "target is behind source" },
    },
    {
      name: "both changed and diverged → conflict",
      input: {
        source: refs({ [M]: C }),
        target: refs({ [M]: B }),
        state: new Map([[M, A]]),
        ancestry: history([A, B], [A, C]),
      },
      want: { action: "conflict", conflict: "diverged" },
    },
    {
      name: "source rewritten (no longer contains the synced tip) → conflict",
      input: {
        source: refs({ [M]: C }),
        target: refs({ [M]: A }),
        state: new Map([[M, A]]),
        ancestry: history(),
      },
      want: {
        action: "conflict",
        conflict: "rewritten",
        reason: "history rewritten on source since the last sync",
      },
    },
    {
      name: "target reset back to an older commit → conflict, never undone silently",
      input: {
        source: refs({ [M]: B }),
        target: refs({ [M]: A }),
        state: new Map([[M, B]]),
        ancestry: history([A, B]),
      },
      want: { action: "conflict", conflict: "rewritten" },
    },
    {
      name: "new on source → created on target",
      input: { source: refs({ [M]: A }) },
      want: { action: "create", to: "target" },
    },
    {
      name: "new on target → created on source",
      input: { target: refs({ [M]: A }), state: new Map() },
      want: { action: "create", to: "source" },
    },
    {
      name: "deleted on target, unchanged on source, propagate_deletes → delete on source",
      input: { source: refs({ [M]: A }), state: new Map([[M, A]]), propagateDeletes: true },
      want: { action: "delete", to: "source" },
    },
    {
      name: "deleted on source, unchanged on target, no propagate_deletes → reported",
      input: { target: refs({ [M]: A }), state: new Map([[M, A]]) },
      want: { action: "deleted", to: "target" },
    },
    {
      name: "deleted on target, changed on source → delete/modify conflict",
      input: { source: refs({ [M]: B }), state: new Map([[M, A]]), propagateDeletes: true },
      want: { action: "conflict", conflict: "delete-modify" },
    },
    {
      name: "deleted on both sides → gone",
      input: { state: new Map([[M, A]]) },
      want: { action: "gone" },
    },
    {
      name: "no state, one tip contains the other → fast-forward",
      input: { source: refs({ [M]: A }), target: refs({ [M]: B }), ancestry: history([A, B]) },
      want: { action: "fast-forward", to: "source", reason: "source is behind target" },
    },
    {
      name: "no state, unrelated histories → conflict",
      input: { source: refs({ [M]: A }), target: refs({ [M]: B }) },
      want: { action: "conflict", conflict: "diverged", reason: "different histories and no sync state" },
    },
    {
      name: "tag on both sides at different objects → tag conflict",
      input: { source: refs({ [T]: A }), target: refs({ [T]: B }), ancestry: history([A, B]) },
      want: { action: "conflict", conflict: "tag" },
    },
    {
      name: "tag moved on one side, deleted on the other → tag conflict",
      input: { source: refs({ [T]: B }), state: new Map([[T, A]]) },
      want: { action: "conflict", conflict: "tag" },
    },
    {
      name: "tag deleted on target, unchanged on source, propagate_deletes → deleted on source",
      input: { source: refs({ [T]: A }), state: new Map([[T, A]]), propagateDeletes: true },
      want: { action: "delete", to: "source" },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const got = one(row.input) as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(row.want)) {
        assert.equal(got[k], v, `${k} of ${JSON.stringify(got)}`);
      }
    });
  }
});

Deno.test("planBidirectional() without ancestry answers never fast-forwards", () => {
  const e = one({ source: refs({ [M]: B }), target: refs({ [M]: A }), state: new Map([[M, A]]) });
  assert.equal(e.action, "conflict");
});

Deno.test("ancestryQuestions() asks tips against each other and against the state, branches only", () => {
  const q = ancestryQuestions({
    source: refs({ [M]: B, "refs/heads/same": D, [T]: C }),
    target: refs({ [M]: C, "refs/heads/same": D, [T]: A }),
    state: new Map([[M, A]]),
  });
  assert.deepEqual(
    q.map(([a, d]) => `${a[0]}<${d[0]}`).sort(),
    ["a<b", "a<c", "b<c", "c<b"],
  );
});
