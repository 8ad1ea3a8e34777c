import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { Blake2b, blake2b } from "./blake2b.ts";

const hex = (u: Uint8Array) => Buffer.from(u).toString("hex");
const enc = (s: string) => new TextEncoder().encode(s);
const pattern = (n: number) => new Uint8Array(n).map((_, i) => (i * 31 + 7) & 0xff);

Deno.test("blake2b() matches RFC 7693 and published vectors", async (t) => {
  const cases: Array<{ name: string; input: Uint8Array; len: number; want: string }> = [
    {
      name: 'RFC 7693 Appendix A: BLAKE2b-512("abc")',
      input: enc("abc"),
      len: 64,
      want: "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1" +
        "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923",
    },
    {
      name: 'BLAKE2b-512("")',
      input: new Uint8Array(0),
      len: 64,
      want: "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419" +
        "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce",
    },
    {
      name: 'BLAKE2b-256("")',
      input: new Uint8Array(0),
      len: 32,
      want: "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8",
    },
    {
      name: 'BLAKE2b-256("abc")',
      input: enc("abc"),
      len: 32,
      want: "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(hex(blake2b(c.input, c.len)), c.want));
  }
});

Deno.test("blake2b() agrees with node's blake2b512 around block boundaries", () => {
  for (const n of [1, 63, 64, 127, 128, 129, 255, 256, 257, 1000, 4096]) {
    const data = pattern(n);
    assert.equal(hex(blake2b(data)), createHash("blake2b512").update(data).digest("hex"), `length ${n}`);
  }
});

Deno.test("blake2b() agrees with coreutils b2sum -l for short digests", () => {
  for (const bits of [8, 160, 256, 384]) {
    for (const n of [0, 74, 128, 300]) {
      const data = pattern(n);
      const out = execFileSync("b2sum", ["-l", String(bits)], { input: data, encoding: "utf8" });
      assert.equal(hex(blake2b(data, bits / 8)), out.split(" ")[0], `${bits} bits, ${n} bytes`);
    }
  }
});

Deno.test("Blake2b hashes incrementally the same as in one shot", () => {
  const data = pattern(777);
  for (const split of [0, 1, 127, 128, 129, 500, 777]) {
    const h = new Blake2b(32).update(data.subarray(0, split)).update(new Uint8Array(0)).update(
      data.subarray(split),
    );
    assert.equal(hex(h.digest()), hex(blake2b(data, 32)), `split at ${split}`);
  }
});

Deno.test("Blake2b refuses bad lengths and reuse after digest()", () => {
  for (const n of [0, 65, 1.5, -1]) assert.throws(() => new Blake2b(n), RangeError);
  const h = new Blake2b();
  h.digest();
  assert.throws(() => h.update(enc("x")), /after digest/);
  assert.throws(() => h.digest(), /twice/);
});
