import assert from "node:assert/strict";
import { parseShard, selectShard, shardOf } from "./shard.ts";
import { UsageError } from "../errors.ts";

Deno.test("parseShard() accepts K/N with 1 <= K <= N and refuses the rest", () => {
  assert.deepEqual(parseShard("2/4"), { index: 2, count: 4 });
  for (const bad of ["0/4", "5/4", "1", "a/b", "1/0", "-1/3"]) {
    assert.throws(() => parseShard(bad), UsageError, bad);
  }
});

Deno.test("selectShard() splits into disjoint, complete, order-independent shards", () => {
  const keys = Array.from({ length: 200 }, (_, i) => `gitlab.com/backend/repo-${i}`);
  const n = 4;
  const shards = Array.from({ length: n }, (_, i) => selectShard(keys, (k) => k, { index: i + 1, count: n }));
  assert.equal(shards.flat().length, keys.length);
  assert.equal(new Set(shards.flat()).size, keys.length);
  for (const s of shards) assert.ok(s.length > 20, `unbalanced shard of ${s.length}`);
  const reversed = selectShard([...keys].reverse(), (k) => k, { index: 3, count: n });
  assert.deepEqual(new Set(reversed), new Set(shards[2]));
  assert.equal(shardOf("GitLab.com/Backend/X", 7), shardOf("gitlab.com/backend/x", 7));
});
