/**
 * Property tests (fast-check): mutated valid archives never crash the verifier (only
 * `VerificationError`), never hang, and never verify as valid unless the content is unchanged.
 * "Content" is the decompressed tar stream up to its trailing zero padding: gzip framing that carries
 * no content (header MTIME/OS bytes, deflate padding bits) and zero padding after the end-of-archive
 * marker are outside what an in-archive check can cover; a signature over the file covers them.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { tempDir } from "../../tests/support/binary.ts";
import { sampleParts, tarBytes } from "../../tests/support/make_archive.ts";
import { VerificationError } from "../errors.ts";
import { BundleHeaderParser } from "./bundle_header.ts";
import { verifyArchive } from "./verify.ts";

type Mutation =
  | { kind: "flip"; pos: number; xor: number }
  | { kind: "truncate"; keep: number }
  | { kind: "insert"; pos: number; bytes: Uint8Array }
  | { kind: "delete"; pos: number; count: number };

/** Positions spread over the data, plus positions inside 512-byte tar headers' fields. */
const position = fc.oneof(
  fc.nat(),
  fc.tuple(fc.nat(200), fc.nat(350)).map(([block, at]) => block * 512 + at),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("flip" as const),
      pos: position,
      xor: fc.integer({ min: 1, max: 255 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), keep: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("insert" as const),
      pos: position,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 1100 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("delete" as const),
      pos: position,
      count: fc.integer({ min: 1, max: 1100 }),
    }),
  },
);

function apply(bytes: Uint8Array, m: Mutation): Uint8Array {
  const pos = "pos" in m ? m.pos % bytes.length : 0;
  switch (m.kind) {
    case "flip": {
      const out = new Uint8Array(bytes);
      out[pos] ^= m.xor;
      return out;
    }
    case "truncate":
      return bytes.subarray(0, m.keep % bytes.length);
    case "insert":
      return new Uint8Array([...bytes.subarray(0, pos), ...m.bytes, ...bytes.subarray(pos)]);
    case "delete":
      return new Uint8Array([...bytes.subarray(0, pos), ...bytes.subarray(pos + m.count)]);
  }
}

function stripZeros(b: Uint8Array): Uint8Array {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return b.subarray(0, end);
}

function sameContent(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(stripZeros(a)), Buffer.from(stripZeros(b))) === 0;
}

const parts = sampleParts({ dependencies: false, blobBytes: 3000 });
const tar = await tarBytes(parts);
const gz = gzipSync(tar);
const dir = tempDir("rc-fuzz-");
let n = 0;

/** Verifies bytes; returns true when valid, false on VerificationError, and lets anything else fail. */
async function verdict(bytes: Uint8Array): Promise<boolean> {
  const file = join(dir, `m${n++}.tar.gz`);
  writeFileSync(file, bytes);
  try {
    await verifyArchive(file);
    return true;
  } catch (error) {
    if (error instanceof VerificationError) return false;
    throw error;
  }
}

Deno.test("property: a mutated .tar.gz is refused unless its content is unchanged", async () => {
  assert.equal(await verdict(gz), true);
  await fc.assert(
    fc.asyncProperty(mutation, async (m) => {
      const mutated = apply(gz, m);
      if (await verdict(mutated)) {
        assert.ok(sameContent(gunzipSync(mutated), tar), `valid but changed: ${JSON.stringify(m)}`);
      }
    }),
    { numRuns: 400, seed: 20251013 },
  );
});

Deno.test("property: a mutated tar stream (re-gzipped) is refused unless identical up to trailing zeros", async () => {
  await fc.assert(
    fc.asyncProperty(mutation, async (m) => {
      const mutatedTar = apply(tar, m);
      if (await verdict(gzipSync(mutatedTar))) {
        assert.ok(sameContent(mutatedTar, tar), `valid but changed: ${JSON.stringify(m)}`);
      }
    }),
    { numRuns: 600, seed: 20251014 },
  );
});

Deno.test("property: the bundle header parser only ever throws SyntaxError", () => {
  const prefix = fc.constantFrom(
    "# v2 git bundle\n",
    "# v3 git bundle\n",
    "# v3 git bundle\n@object-format=sha256\n",
    "",
  );
  fc.assert(
    fc.property(prefix, fc.uint8Array({ maxLength: 400 }), fc.nat(50), (p, tail, split) => {
      const bytes = new Uint8Array([...new TextEncoder().encode(p), ...tail]);
      const parser = new BundleHeaderParser();
      try {
        parser.push(bytes.subarray(0, split));
        parser.push(bytes.subarray(split));
        if (parser.done) assert.ok(parser.header.length <= bytes.length);
      } catch (error) {
        assert.ok(error instanceof SyntaxError, String(error));
      }
    }),
    { numRuns: 500, seed: 7 },
  );
});
