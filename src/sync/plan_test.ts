import assert from "node:assert/strict";
import { planRefs, refsNeedingAncestry } from "./plan.ts";
import type { RefMap } from "./refs.ts";

const A = "a".repeat(40), B = "b".repeat(40), C = "c".repeat(40), T = "f".repeat(40);
const refs = (o: Record<string, string>): RefMap =>
  new Map(Object.entries(o).map(([k, v]) => [k, { sha: v, commit: v }]));

Deno.test("planRefs() decides every row of the one-way table", async (t) => {
  const cases: Array<{
    name: string;
    source: Record<string, string>;
    target: Record<string, string>;
    ancestry?: Record<string, boolean>;
    prune?: boolean;
    want: Record<string, string>;
  }> = [
    {
      name: "new branch is created",
      source: { "refs/heads/main": A },
      target: {},
      want: { "refs/heads/main": "create" },
    },
    {
      name: "same tip is up to date",
      source: { "refs/heads/main": A },
      target: { "refs/heads/main": A },
      want: { "refs/heads/main": "up-to-date" },
    },
    {
      name: "ancestor target tip fast-forwards",
      source: { "refs/heads/main": B },
      target: { "refs/heads/main": A },
      ancestry: { "refs/heads/main": true },
      want: { "refs/heads/main": "fast-forward" },
    },
    {
      name: "non-ancestor target tip is diverged",
      source: { "refs/heads/main": B },
      target: { "refs/heads/main": C },
      ancestry: { "refs/heads/main": false },
      want: { "refs/heads/main": "diverged" },
    },
    {
      name: "unknown ancestry is diverged (never overwrite what was not proven)",
      source: { "refs/heads/main": B },
      target: { "refs/heads/main": C },
      want: { "refs/heads/main": "diverged" },
    },
    {
      name: "a tag pointing elsewhere is diverged",
      source: { "refs/tags/v1": A },
      target: { "refs/tags/v1": T },
      want: { "refs/tags/v1": "diverged" },
    },
    {
      name: "target-only ref is left alone",
      source: {},
      target: { "refs/heads/hotfix": A },
      want: { "refs/heads/hotfix": "target-only" },
    },
    {
      name: "target-only ref is deleted with prune",
      source: {},
      target: { "refs/heads/hotfix": A },
      prune: true,
      want: { "refs/heads/hotfix": "delete" },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const plan = planRefs({
        source: refs(c.source),
        target: refs(c.target),
        ancestry: c.ancestry ? new Map(Object.entries(c.ancestry)) : undefined,
        prune: c.prune,
      });
      assert.deepEqual(Object.fromEntries(plan.entries.map((e) => [e.ref, e.action])), c.want);
    });
  }
});

Deno.test("planRefs() splits the plan into push, delete and diverged lists", () => {
  const plan = planRefs({
    source: refs({ "refs/heads/main": B, "refs/heads/dev": C, "refs/tags/v2": A }),
    target: refs({ "refs/heads/main": A, "refs/heads/dev": A, "refs/heads/old": A }),
    ancestry: new Map([["refs/heads/main", true], ["refs/heads/dev", false]]),
    prune: true,
  });
  assert.deepEqual(plan.push.map((e) => e.ref), ["refs/heads/main", "refs/tags/v2"]);
  assert.deepEqual(plan.delete.map((e) => e.ref), ["refs/heads/old"]);
  assert.deepEqual(plan.diverged.map((e) => e.ref), ["refs/heads/dev"]);
});

Deno.test("refsNeedingAncestry() lists only branches present on both sides with different tips", () => {
  const got = refsNeedingAncestry(
    refs({ "refs/heads/a": A, "refs/heads/b": B, "refs/heads/c": C, "refs/tags/t": A }),
    refs({ "refs/heads/a": A, "refs/heads/b": C, "refs/tags/t": B }),
  );
  assert.deepEqual(got, ["refs/heads/b"]);
});
