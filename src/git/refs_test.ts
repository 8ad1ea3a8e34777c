import assert from "node:assert/strict";
import { compareBytes, diffRefs, isCarriedRef, parseRefLines, sortRefs } from "./refs.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);

Deno.test("parseRefLines() reads for-each-ref and ls-remote lines, dropping peeled and foreign lines", () => {
  const text = [
    `${A} refs/heads/main`,
    `${B}\trefs/tags/v1`,
    `${A}\trefs/tags/v1^{}`,
    `# v2 git bundle`,
    `-${A} prerequisite`,
    `${A} refs/heads/feature/ünïcødé`,
    "",
  ].join("\n");
  assert.deepEqual(parseRefLines(text), {
    "refs/heads/main": A,
    "refs/tags/v1": B,
    "refs/heads/feature/ünïcødé": A,
  });
});

Deno.test("isCarriedRef() keeps branches and tags only", () => {
  assert.ok(isCarriedRef("refs/heads/main"));
  assert.ok(isCarriedRef("refs/tags/v1"));
  assert.ok(!isCarriedRef("refs/pull/1/head"));
  assert.ok(!isCarriedRef("refs/merge-requests/3/head"));
  assert.ok(!isCarriedRef("refs/keep-around/abc"));
  assert.ok(!isCarriedRef("refs/heads/"));
});

Deno.test("sortRefs() and compareBytes() order by UTF-8 bytes like git", () => {
  assert.deepEqual(Object.keys(sortRefs({ "refs/heads/ü": A, "refs/heads/z": A, "refs/heads/Z": A })), [
    "refs/heads/Z",
    "refs/heads/z",
    "refs/heads/ü",
  ]);
  assert.ok(compareBytes("\uFF5E", "\u{1F600}") < 0);
});

Deno.test("diffRefs() reports refs only on one side and changed ids", () => {
  assert.deepEqual(diffRefs({ a: A, b: A, c: A }, { b: A, c: B, d: A }), {
    onlyA: ["a"],
    onlyB: ["d"],
    changed: ["c"],
  });
});
