/**
 * Property tests (fast-check) for the bundle-header parser: generated headers parse back to exactly
 * what was written (in any chunking); mutated headers either parse to something well-formed or throw
 * `SyntaxError` — never another error, never reading past the input, never unbounded.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type BundleHeader,
  BundleHeaderParser,
  isValidRefName,
  MAX_BUNDLE_LINE_BYTES,
  parseBundleHeader,
} from "./bundle_header.ts";

const enc = new TextEncoder();
const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const component = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,11}$/).filter((c) => !c.endsWith(".lock"));
const refName = fc.tuple(
  fc.constantFrom("refs/heads/", "refs/tags/"),
  fc.array(component, { minLength: 1, maxLength: 3 }),
)
  .map(([p, parts]) => p + parts.join("/"));

interface Model {
  version: 2 | 3;
  format: "sha1" | "sha256";
  prerequisites: Array<{ oid: string; comment: string }>;
  refs: Array<{ name: string; oid: string }>;
}

const model: fc.Arbitrary<Model> = fc.constantFrom<["sha1" | "sha256", 2 | 3]>(["sha1", 2], ["sha1", 3], [
  "sha256",
  3,
])
  .chain(([format, version]) => {
    const oid = hex(format === "sha1" ? 40 : 64);
    return fc.record({
      version: fc.constant(version),
      format: fc.constant(format),
      prerequisites: fc.uniqueArray(
        fc.record({ oid, comment: fc.stringMatching(/^[ -~]{0,30}$/) }),
        { selector: (p) => p.oid, maxLength: 4 },
      ),
      refs: fc.uniqueArray(fc.record({ name: refName, oid }), { selector: (r) => r.name, maxLength: 8 }),
    });
  });

function render(m: Model): string {
  const lines = [`# v${m.version} git bundle`];
  if (m.version === 3) lines.push(`@object-format=${m.format}`);
  for (const p of m.prerequisites) lines.push(`-${p.oid}${p.comment ? ` ${p.comment}` : ""}`);
  for (const r of m.refs) lines.push(`${r.oid} ${r.name}`);
  return lines.join("\n") + "\n\n";
}

/** Feeds `bytes` in the given chunk sizes (cycled); returns the header or throws. */
function parseChunked(bytes: Uint8Array, sizes: number[]): BundleHeader {
  const parser = new BundleHeaderParser();
  let at = 0;
  for (let i = 0; at < bytes.length && !parser.done; i++) {
    const n = Math.max(1, sizes.length ? sizes[i % sizes.length] : bytes.length);
    parser.push(bytes.subarray(at, at + n));
    at += n;
  }
  return parser.header;
}

function wellFormed(h: BundleHeader, inputLength: number): void {
  const hexLength = h.objectFormat === "sha1" ? 40 : 64;
  assert.ok(h.length > 0 && h.length <= inputLength, `length ${h.length} of ${inputLength}`);
  for (const r of h.refs) {
    assert.ok(isValidRefName(r.name), r.name);
    assert.match(r.oid, new RegExp(`^[0-9a-f]{${hexLength}}$`));
  }
  for (const p of h.prerequisites) assert.match(p.oid, new RegExp(`^[0-9a-f]{${hexLength}}$`));
  assert.equal(new Set(h.refs.map((r) => r.name)).size, h.refs.length, "duplicate refs accepted");
}

Deno.test("parseBundleHeader() reads back every generated header, whatever the chunking, and stops at the pack", () => {
  fc.assert(
    fc.property(
      model,
      fc.uint8Array({ maxLength: 64 }),
      fc.array(fc.integer({ min: 1, max: 97 }), { maxLength: 6 }),
      (m, pack, sizes) => {
        const text = render(m);
        const bytes = new Uint8Array([...enc.encode(text), ...pack]);
        const whole = parseBundleHeader(bytes);
        assert.equal(whole.version, m.version);
        assert.equal(whole.objectFormat, m.format);
        assert.deepEqual(whole.refs, m.refs.map((r) => ({ name: r.name, oid: r.oid })));
        assert.deepEqual(
          whole.prerequisites,
          m.prerequisites.map((p) => ({ oid: p.oid, comment: p.comment })),
        );
        assert.equal(whole.length, enc.encode(text).length, "the pack starts right after the blank line");
        assert.deepEqual(parseChunked(bytes, sizes), whole);
      },
    ),
    { numRuns: 400, seed: 11 },
  );
});

type Edit =
  | { kind: "flip"; pos: number; xor: number }
  | { kind: "insert"; pos: number; bytes: Uint8Array }
  | {
    kind: "delete";
    pos: number;
    count: number;
  };
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), pos: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    pos: fc.nat(),
    bytes: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 8 }),
      fc.constantFrom(
        enc.encode("\n"),
        enc.encode("\n\n"),
        enc.encode("@filter=blob:none\n"),
        enc.encode(" "),
        enc.encode("-"),
      ),
    ),
  }),
  fc.record({ kind: fc.constant("delete" as const), pos: fc.nat(), count: fc.integer({ min: 1, max: 50 }) }),
);

function apply(bytes: Uint8Array, e: Edit): Uint8Array {
  const pos = bytes.length === 0 ? 0 : e.pos % bytes.length;
  if (e.kind === "flip") {
    const out = new Uint8Array(bytes);
    if (out.length) out[pos] ^= e.xor;
    return out;
  }
  if (e.kind === "insert") {
    return new Uint8Array([...bytes.subarray(0, pos), ...e.bytes, ...bytes.subarray(pos)]);
  }
  return new Uint8Array([...bytes.subarray(0, pos), ...bytes.subarray(pos + e.count)]);
}

Deno.test("parseBundleHeader() on mutated headers: a well-formed header or SyntaxError, nothing else", () => {
  fc.assert(
    fc.property(
      model,
      fc.array(edit, { minLength: 1, maxLength: 4 }),
      fc.array(fc.integer({ min: 1, max: 33 }), { maxLength: 4 }),
      (m, edits, sizes) => {
        const bytes = edits.reduce(apply, enc.encode(render(m)));
        let whole: BundleHeader | undefined;
        try {
          whole = parseBundleHeader(bytes);
        } catch (error) {
          assert.ok(error instanceof SyntaxError, `not a SyntaxError: ${error}`);
        }
        if (whole) wellFormed(whole, bytes.length);
        // Chunking never changes the verdict.
        let chunked: BundleHeader | undefined;
        try {
          chunked = parseChunked(bytes, sizes);
        } catch (error) {
          assert.ok(error instanceof SyntaxError, `not a SyntaxError: ${error}`);
        }
        assert.deepEqual(chunked, whole);
      },
    ),
    { numRuns: 1500, seed: 23 },
  );
});

Deno.test("parseBundleHeader() is bounded: overlong lines and endless headers stop with SyntaxError", () => {
  const longRef = enc.encode(
    `# v2 git bundle\n${"a".repeat(40)} refs/heads/${"x".repeat(MAX_BUNDLE_LINE_BYTES)}\n\n`,
  );
  assert.throws(
    () => parseBundleHeader(longRef),
    (e) => e instanceof SyntaxError && /longer than/.test(e.message),
  );
  // A line that never ends, fed in small chunks: refused once it passes the line limit.
  const parser = new BundleHeaderParser();
  parser.push(enc.encode("# v2 git bundle\n"));
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  let threw: unknown;
  let fed = 0;
  for (let i = 0; i < 64 && threw === undefined; i++) {
    try {
      parser.push(chunk);
      fed += chunk.length;
    } catch (e) {
      threw = e;
    }
  }
  assert.ok(threw instanceof SyntaxError, "no limit on a header line");
  assert.ok(fed <= MAX_BUNDLE_LINE_BYTES, `read ${fed} bytes of one line`);
  // Without the blank line the header is incomplete, not a crash.
  assert.throws(() => parseBundleHeader(enc.encode("# v2 git bundle\n")), SyntaxError);
  assert.throws(() => parseBundleHeader(new Uint8Array()), SyntaxError);
});
