import assert from "node:assert/strict";
import { ancestorsOf, collisionKey, entryPathProblem } from "./entry_path.ts";

Deno.test("entryPathProblem() accepts safe relative paths", async (t) => {
  for (
    const p of [
      "repo.bundle",
      "lfs/objects/ab/cd/abcd",
      "dependencies/python/packages/x-1.0.whl",
      "a/b c/ü.txt",
      "...",
    ]
  ) {
    await t.step(p, () => assert.equal(entryPathProblem(p), undefined));
  }
});

Deno.test("entryPathProblem() refuses every unsafe spelling", async (t) => {
  const cases: [string, RegExp][] = [
    ["", /empty path/],
    ["/etc/passwd", /absolute/],
    ["C:/x", /drive-letter/],
    ["c:x", /drive-letter/],
    ["..", /"\.\." path segment/],
    ["../x", /"\.\." path segment/],
    ["a/../../x", /"\.\." path segment/],
    ["a/..", /"\.\." path segment/],
    ["./a", /"\." path segment/],
    ["a/./b", /"\." path segment/],
    ["a//b", /empty path segment/],
    ["a/", /empty path segment/],
    ["a\\..\\b", /backslash/],
    ["a\u0000b", /control character/],
    ["a\nb", /control character/],
    ["a\u007fb", /control character/],
    ["a\u0085b", /control character/],
    ["bad\ufffdname", /not valid UTF-8/],
    ["x".repeat(256), /segment longer/],
    [("a".repeat(200) + "/").repeat(21), /longer than 4096/],
  ];
  for (const [p, re] of cases) {
    await t.step(JSON.stringify(p.slice(0, 30)), () => assert.match(entryPathProblem(p) ?? "(accepted)", re));
  }
});

Deno.test("collisionKey() folds case and Unicode normalisation", () => {
  assert.equal(collisionKey("README.md"), collisionKey("readme.MD"));
  assert.equal(collisionKey("caf\u00e9"), collisionKey("cafe\u0301"));
  assert.notEqual(collisionKey("a"), collisionKey("b"));
});

Deno.test("ancestorsOf() lists proper ancestors", () => {
  assert.deepEqual(ancestorsOf("a/b/c"), ["a", "a/b"]);
  assert.deepEqual(ancestorsOf("a"), []);
});
