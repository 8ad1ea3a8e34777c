import assert from "node:assert/strict";
import { VerificationError } from "../errors.ts";
import { type ChainLink, chainPositions, checkChain } from "./chain.ts";
import type { Manifest } from "./manifest.ts";
import { refStateSha256 } from "./ref_state.ts";
import { deletedAlongChain, refHistory } from "./restore_chain.ts";

const H = (c: string) => c.repeat(64);
const O = (c: string) => c.repeat(40);

function manifest(id: string, refs: Record<string, string>, extra: Partial<Manifest> = {}): Manifest {
  return {
    format_version: 1,
    archive_id: id,
    type: "full",
    created_at: "2025-01-01T00:00:00Z",
    tool: { name: "repo-cloner", version: "test" },
    repository: { name: "app" },
    source: { url: "/src/app", default_branch: "main", head: null },
    refs,
    deleted_refs: [],
    shallow: null,
    bundle: { path: "repo.bundle", sha256: H("e"), size: 1, prerequisites: [], empty: false },
    base: null,
    lfs: { objects: [], inherited: [] },
    dependencies: {},
    files: [],
    ...extra,
  };
}

/** FULL → INC1 → INC2, each properly linked. */
function chain(): ChainLink[] {
  const full = manifest("aaaa0001", { "refs/heads/main": O("1") }, {
    lfs: { objects: [{ oid: H("a"), size: 5 }], inherited: [] },
  });
  const link = (name: string, m: Manifest): ChainLink => ({
    name,
    manifest: m,
    manifestSha256: H(name.at(-1)!),
  });
  const l0 = link("full-0", full);
  const inc = (
    name: string,
    id: string,
    prev: ChainLink,
    refs: Record<string, string>,
    more: Partial<Manifest> = {},
  ) =>
    link(
      name,
      manifest(id, refs, {
        type: "incremental",
        base: {
          archive_id: prev.manifest.archive_id,
          sha256: prev.manifestSha256,
          refs_sha256: refStateSha256(prev.manifest.refs),
        },
        lfs: { objects: [], inherited: [{ oid: H("a"), size: 5 }] },
        ...more,
      }),
    );
  const l1 = inc("inc-1", "aaaa0002", l0, { "refs/heads/main": O("2"), "refs/tags/v1": O("2") });
  const l2 = inc("inc-2", "aaaa0003", l1, { "refs/heads/main": O("3") }, { deleted_refs: ["refs/tags/v1"] });
  return [l0, l1, l2];
}

Deno.test("checkChain() accepts a chain in order and says where each archive sits", () => {
  const links = chain();
  checkChain(links);
  checkChain(links.slice(1), { startsWithFull: false });
  assert.deepEqual(chainPositions(links), [
    "1/3 full",
    "2/3 incremental on aaaa0001",
    "3/3 incremental on aaaa0002",
  ]);
});

Deno.test("checkChain() names what breaks the chain", async (t) => {
  const [full, inc1, inc2] = chain();
  const cases: Array<[string, ChainLink[], RegExp]> = [
    [
      "out of order",
      [full, inc2, inc1],
      /"inc-2" \(archive 2 of 3\) builds on "inc-1" \(archive 3 of 3\).*out of order\)\. Give them in order: "full-0", "inc-1", "inc-2"/,
    ],
    [
      "skipped",
      [full, inc2],
      /"inc-2" \(archive 2 of 2\) builds on archive aaaa0002, which is not given: the archive between "full-0" and "inc-2" is missing/,
    ],
    [
      "incremental first",
      [inc1, inc2],
      /"inc-1" \(archive 1 of 2\) is an incremental archive; give the full archive it builds on \(aaaa0001\) first/,
    ],
    ["full later", [inc1, full], /is an incremental archive/],
    [
      "two fulls",
      [full, { ...full, manifest: { ...full.manifest, archive_id: "bbbb0001" } }],
      /\(archive 2 of 2\) is a full archive; .*out of order/,
    ],
    [
      "same archive twice",
      [full, inc1, inc1],
      /"inc-1" \(archive 3 of 3\) is the same archive as "inc-1" \(archive 2 of 3\)/,
    ],
    [
      "another repository",
      [full, { ...inc1, manifest: { ...inc1.manifest, repository: { name: "other" } } }],
      /is an archive of repository "other", not "app"/,
    ],
    [
      "same id, other content",
      [{ ...full, manifestSha256: H("9") }, inc1],
      /builds on an archive with the id of "full-0" but different content/,
    ],
    ["ref state differs", [{ ...full, manifest: { ...full.manifest, refs: {} } }, inc1], /different content/],
    [
      "inherits an LFS object nobody carried",
      [full, {
        ...inc1,
        manifest: { ...inc1.manifest, lfs: { objects: [], inherited: [{ oid: H("c"), size: 1 }] } },
      }],
      /inherits LFS object c{64}, which no earlier archive carries/,
    ],
  ];
  for (const [name, links, re] of cases) {
    await t.step(name, () => {
      const e = (() => {
        try {
          checkChain(links);
        } catch (e) {
          return e;
        }
      })();
      assert.ok(e instanceof VerificationError, `${name}: no error`);
      assert.equal(e.exitCode, 3);
      assert.match(e.message, re);
      assert.match(e.message, /Nothing was changed$/);
    });
  }
  assert.throws(
    () => checkChain([full, inc2], { action: "verify" }),
    (e: Error) => !/Nothing was changed/.test(e.message),
  );
});

Deno.test("refHistory() and deletedAlongChain() describe what the chain did to each ref", () => {
  const ms = chain().map((l) => l.manifest);
  assert.deepEqual(refHistory(ms), { "refs/heads/main": [O("1"), O("2")], "refs/tags/v1": [O("2")] });
  assert.deepEqual(refHistory(ms.slice(1), { "refs/heads/main": O("1") }), {
    "refs/heads/main": [O("1"), O("2")],
    "refs/tags/v1": [O("2")],
  });
  assert.deepEqual(deletedAlongChain(ms), ["refs/tags/v1"]);
});
