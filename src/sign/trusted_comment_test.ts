import assert from "node:assert/strict";
import {
  type ArchiveSignatureFields,
  formatArchiveTrustedComment,
  isArchiveTrustedComment,
  parseArchiveTrustedComment,
} from "./trusted_comment.ts";

const full: ArchiveSignatureFields = {
  timestamp: 1760367000,
  file: "backend-api-full-20251013-153000.tar.gz",
  archiveId: "3f2a9c1e-7b5d-4e8a-9c0f-1a2b3c4d5e6f",
  type: "full",
  base: null,
  seq: 12,
  repo: "company/backend-api",
};

Deno.test("formatArchiveTrustedComment() writes the documented line and parses back", () => {
  const line = formatArchiveTrustedComment(full);
  assert.equal(
    line,
    "timestamp:1760367000 file:backend-api-full-20251013-153000.tar.gz " +
      "archive_id:3f2a9c1e-7b5d-4e8a-9c0f-1a2b3c4d5e6f type:full base:- seq:12 repo:company/backend-api",
  );
  assert.deepEqual(parseArchiveTrustedComment(line), full);
  const inc = { ...full, type: "incremental" as const, base: "prev-id", seq: 13 };
  assert.deepEqual(parseArchiveTrustedComment(formatArchiveTrustedComment(inc)), inc);
  assert.ok(isArchiveTrustedComment(line));
  assert.ok(!isArchiveTrustedComment("timestamp:1\tfile:x\thashed"));
});

Deno.test("formatArchiveTrustedComment() refuses values that would break the line", async (t) => {
  const cases: Array<[string, Partial<ArchiveSignatureFields>]> = [
    ["space in repo", { repo: "a b" }],
    ["newline in archive id", { archiveId: "a\nb" }],
    ["empty file", { file: "" }],
    ["path as file", { file: "dir/x.tar.gz" }],
    ["negative seq", { seq: -1 }],
    ["fractional seq", { seq: 1.5 }],
    ["base of -", { base: "-" }],
    ["unknown type", { type: "weird" as "full" }],
  ];
  for (const [name, patch] of cases) {
    await t.step(
      name,
      () => assert.throws(() => formatArchiveTrustedComment({ ...full, ...patch }), TypeError),
    );
  }
});

Deno.test("parseArchiveTrustedComment() rejects malformed lines", async (t) => {
  const good = formatArchiveTrustedComment(full);
  const cases: Array<[string, string, RegExp]> = [
    ["missing field", good.replace(" seq:12", ""), /6 fields/],
    ["extra field", good + " extra:1", /8 fields/],
    ["reordered", good.replace("type:full base:-", "base:- type:full"), /expected "type"/],
    ["tab separated", good.replaceAll(" ", "\t"), /1 fields/],
    ["double space", good.replace(" file:", "  file:"), /fields/],
    ["seq not a number", good.replace("seq:12", "seq:12a"), /"seq" is not a number/],
    ["seq leading zero", good.replace("seq:12", "seq:012"), /"seq" is not a number/],
    ["seq too large", good.replace("seq:12", "seq:99999999999999999"), /"seq" is not a number/],
    ["empty value", good.replace("repo:company/backend-api", "repo:"), /no value/],
    ["bad type", good.replace("type:full", "type:delta"), /full or incremental/],
    ["file with slash", good.replace("file:", "file:../"), /bare name/],
  ];
  for (const [name, line, re] of cases) {
    await t.step(name, () => assert.throws(() => parseArchiveTrustedComment(line), re));
  }
});
