import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { bidiStatePath, loadBidiState, nextBidiState, saveBidiState } from "./bidi_state.ts";

const A = "a".repeat(40), B = "b".repeat(40);
const PAIR = {
  sourceUrl: "https://gitlab.example.com/backend/api.git",
  targetUrl: "https://github.example.com/org/api.git",
};

function fresh(): string {
  const dir = mkdtempSync(join(tmpdir(), "rc-bidi-state-"));
  return bidiStatePath(dir, "gitlab.example.com", "backend/api");
}

Deno.test("saveBidiState() then loadBidiState() round-trips, leaving no temporary file", () => {
  const file = fresh();
  assert.match(file, /bidirectional\/gitlab\.example\.com\/backend\/api\.json$/);
  saveBidiState(file, PAIR, new Map([["refs/heads/main", A], ["refs/tags/v1", B]]));
  const s = loadBidiState(file, PAIR);
  assert.equal(s.status, "loaded");
  assert.deepEqual([...s.refs!], [["refs/heads/main", A], ["refs/tags/v1", B]]);
  assert.deepEqual(readdirSync(dirname(file)), ["api.json"]);
  // http vs https and a missing ".git" still name the same pair.
  assert.equal(
    loadBidiState(file, { ...PAIR, sourceUrl: "http://gitlab.example.com/backend/api" }).status,
    "loaded",
  );
});

Deno.test("loadBidiState() falls back to no state with a clear message", async (t) => {
  await t.step("missing", () => {
    const s = loadBidiState(fresh(), PAIR);
    assert.equal(s.status, "missing");
    assert.equal(s.refs, undefined);
    assert.match(s.message!, /No sync state yet at ".*api\.json": first bidirectional sync/);
  });
  const cases: Array<[string, string, RegExp]> = [
    ["not JSON", "{ nope", /: not valid JSON\. Treating this run as a first sync/],
    ["truncated", '{"format":"repo-cloner/bidirectional-state","version":1', /not valid JSON/],
    ["other format", JSON.stringify({ hello: 1 }), /not a bidirectional state file \(format: /],
    [
      "bad sha",
      JSON.stringify({ ...base(), refs: { "refs/heads/main": "xyz" } }),
      /not a bidirectional state file \(refs\.refs\/heads\/main: /,
    ],
    [
      "hostile ref name",
      JSON.stringify({ ...base(), refs: { "refs/heads/-x": A } }),
      /ref "refs\/heads\/-x": a component starts with "-"/,
    ],
  ];
  for (const [name, text, re] of cases) {
    await t.step(`corrupt: ${name}`, () => {
      const file = fresh();
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      const s = loadBidiState(file, PAIR);
      assert.equal(s.status, "corrupt");
      assert.equal(s.refs, undefined);
      assert.match(s.message!, re);
      assert.match(s.message!, /^Cannot use the sync state ".*api\.json": /);
    });
  }
  await t.step("another pair", () => {
    const file = fresh();
    saveBidiState(
      file,
      { ...PAIR, targetUrl: "https://github.example.com/staging/api.git" },
      new Map([["refs/heads/main", A]]),
    );
    const s = loadBidiState(file, PAIR);
    assert.equal(s.status, "other-pair");
    assert.equal(s.refs, undefined);
    assert.match(s.message!, /belongs to another pair .*staging\/api\.git\), this run syncs .*org\/api\.git/);
  });
});

function base() {
  return {
    format: "repo-cloner/bidirectional-state",
    version: 1,
    source_url: PAIR.sourceUrl,
    target_url: PAIR.targetUrl,
    updated_at: new Date(0).toISOString(),
    refs: {},
  };
}

Deno.test("nextBidiState() records agreement, forgets refs gone from both sides, keeps the rest", () => {
  const prev = new Map([["refs/heads/conflict", A], ["refs/heads/gone", A], ["refs/heads/kept", A]]);
  const next = nextBidiState(
    prev,
    new Map([["refs/heads/conflict", A], ["refs/heads/kept", A], ["refs/heads/same", B], [
      "refs/heads/new",
      B,
    ]]),
    new Map([["refs/heads/conflict", B], ["refs/heads/same", B]]),
  );
  assert.deepEqual(Object.fromEntries(next), {
    "refs/heads/conflict": A,
    "refs/heads/kept": A,
    "refs/heads/same": B,
  });
  assert.equal(JSON.parse(readFileSync(saveTo(next), "utf8")).refs["refs/heads/same"], B);
});

function saveTo(refs: Map<string, string>): string {
  const file = fresh();
  saveBidiState(file, PAIR, refs);
  return file;
}
