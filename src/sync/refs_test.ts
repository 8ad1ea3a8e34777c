import assert from "node:assert/strict";
import { parseForEachRef, parseLsRemote, targetUpToDate } from "./refs.ts";

const A = "a".repeat(40), B = "b".repeat(40), C = "c".repeat(40);

Deno.test("parseLsRemote() keeps heads and tags, peels annotated tags, drops forge-internal refs", () => {
  const text = [
    `${A}\tHEAD`,
    `${A}\trefs/heads/main`,
    `${B}\trefs/tags/v1`,
    `${C}\trefs/tags/v1^{}`,
    `${A}\trefs/merge-requests/1/head`,
    `${A}\trefs/pull/7/head`,
    `${A}\trefs/keep-around/${A}`,
    `${A}\trefs/pipelines/12`,
  ].join("\n");
  const refs = parseLsRemote(text);
  assert.deepEqual([...refs.keys()], ["refs/heads/main", "refs/tags/v1"]);
  assert.deepEqual(refs.get("refs/tags/v1"), { sha: B, commit: C });
});

Deno.test("parseForEachRef() reads object and peeled object", () => {
  const refs = parseForEachRef(`${A}  refs/heads/main\n${B} ${C} refs/tags/v1\n${A}  refs/notes/x\n`);
  assert.deepEqual(refs.get("refs/heads/main"), { sha: A, commit: A });
  assert.deepEqual(refs.get("refs/tags/v1"), { sha: B, commit: C });
  assert.equal(refs.size, 2);
});

Deno.test("targetUpToDate() ignores target-only refs unless pruning", () => {
  const src = parseLsRemote(`${A}\trefs/heads/main`);
  const tgt = parseLsRemote(`${A}\trefs/heads/main\n${B}\trefs/heads/extra`);
  assert.equal(targetUpToDate(src, tgt), true);
  assert.equal(targetUpToDate(src, tgt, true), false);
  assert.equal(targetUpToDate(tgt, src), false);
});
