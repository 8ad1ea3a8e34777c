import assert from "node:assert/strict";
import { UsageError, VerificationError } from "../errors.ts";
import {
  decodeBase64Strict,
  encodePublicKey,
  encodeSecretKeyFile,
  encodeSignature,
  formatKeyId,
  type MinisignSignature,
  parsePublicKey,
  parseSecretKeyFile,
  parseSignature,
} from "./minisign_format.ts";

const bytes = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 13 + seed) & 0xff);
const keyId = new Uint8Array([0x16, 0x7f, 0xb6, 0xe9, 0xfb, 0x91, 0x7e, 0x7e]);
// A public key written by Debian's `minisign -G` (0.11).
const MINISIGN_PUB = "untrusted comment: minisign public key 7E7E91FBE9B67F16\n" +
  "RWQWf7bp+5F+fs0zwvcWN9tmpwWfXvRbNVkOFJLywqyz9L+4gBgwyykT\n";

Deno.test("formatKeyId() prints the id as minisign does (little-endian, %PRIX64)", () => {
  assert.equal(formatKeyId(keyId), "7E7E91FBE9B67F16");
  assert.equal(formatKeyId(new Uint8Array([0xab, 0, 0, 0, 0, 0, 0, 0])), "AB");
});

Deno.test("public keys: minisign's file parses and re-encodes byte for byte", () => {
  const key = parsePublicKey(MINISIGN_PUB);
  assert.deepEqual(key.keyId, keyId);
  assert.equal(encodePublicKey(key), MINISIGN_PUB);
  assert.deepEqual(parsePublicKey(MINISIGN_PUB.split("\n")[1]), key, "bare base64 as minisign -P takes it");
  assert.deepEqual(parsePublicKey(MINISIGN_PUB.replaceAll("\n", "\r\n")), key, "CRLF");
});

Deno.test("parsePublicKey() rejects what is not a public key", async (t) => {
  const body = MINISIGN_PUB.split("\n")[1];
  const cases: Array<[string, string]> = [
    ["empty", ""],
    ["no comment prefix", `comment\n${body}\n`],
    ["truncated base64", body.slice(0, -4)],
    ["space inside base64", body.slice(0, 10) + " " + body.slice(10)],
    ["wrong algorithm", Buffer.concat([Buffer.from("EX"), Buffer.alloc(40)]).toString("base64")],
    ["three lines", `${MINISIGN_PUB}extra\n`],
  ];
  for (const [name, text] of cases) {
    await t.step(name, () => assert.throws(() => parsePublicKey(text), UsageError));
  }
});

Deno.test("secret key files round-trip, encrypted and not", () => {
  for (const kdf of ["scrypt", "none"] as const) {
    const file = {
      kdf,
      salt: bytes(32, 1),
      opslimit: 33554432n,
      memlimit: 1073741824n,
      keynumSk: bytes(104, 2),
    };
    const text = encodeSecretKeyFile(file, "a comment");
    assert.match(text, /^untrusted comment: a comment\n[A-Za-z0-9+/=]+\n$/);
    assert.deepEqual(parseSecretKeyFile(text), file);
  }
  assert.throws(() =>
    encodeSecretKeyFile(
      parseSecretKeyFile(encodeSecretKeyFile({
        kdf: "none",
        salt: new Uint8Array(32),
        opslimit: 0n,
        memlimit: 0n,
        keynumSk: bytes(104, 3),
      }, "x")),
      "two\nlines",
    ), TypeError);
});

Deno.test("parseSecretKeyFile() rejects other algorithms and shapes", async (t) => {
  const good = Buffer.from(
    encodeSecretKeyFile({
      kdf: "scrypt",
      salt: bytes(32, 1),
      opslimit: 1n,
      memlimit: 1n,
      keynumSk: bytes(104, 2),
    }, "c")
      .split("\n")[1],
    "base64",
  );
  const patch = (at: number, s: string) => {
    const b = Buffer.from(good);
    b.write(s, at, "latin1");
    return `untrusted comment: c\n${b.toString("base64")}\n`;
  };
  const cases: Array<[string, string, RegExp]> = [
    ["signature algorithm", patch(0, "EX"), /signature algorithm/],
    ["kdf", patch(2, "Ar"), /key derivation/],
    ["checksum", patch(4, "S2"), /checksum algorithm/],
    ["short", `untrusted comment: c\n${good.subarray(1).toString("base64")}\n`, /not a minisign secret key/],
    ["public key given", MINISIGN_PUB, /not a minisign secret key/],
  ];
  for (const [name, text, re] of cases) {
    await t.step(name, () => assert.throws(() => parseSecretKeyFile(text), re));
  }
});

const sig: MinisignSignature = {
  untrustedComment: "signature from repo-cloner secret key",
  algorithm: "ED",
  keyId,
  signature: bytes(64, 5),
  trustedComment: new TextEncoder().encode("timestamp:1 file:x.tar.gz ünïcode"),
  globalSignature: bytes(64, 9),
};

Deno.test("signatures round-trip; CRLF and a missing final newline are accepted", () => {
  const text = encodeSignature(sig);
  assert.equal(text.split("\n").length, 5);
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.deepEqual(parseSignature(enc(text)), sig);
  assert.deepEqual(parseSignature(enc(text.replaceAll("\n", "\r\n"))), sig);
  assert.deepEqual(parseSignature(enc(text.slice(0, -1))), sig);
  assert.deepEqual(
    parseSignature(enc(text.replace("ED", "Ed").replace(/^(.*\n)(.*)/, (_m, a, b) => a + b))),
    sig,
  );
});

Deno.test("parseSignature() refuses malformed signature files with VerificationError", async (t) => {
  const lines = encodeSignature(sig).split("\n");
  const legacyAlg = Buffer.from(lines[1], "base64");
  legacyAlg.write("XX", 0, "latin1");
  const cases: Array<[string, string, RegExp]> = [
    ["empty", "", /expected 4 lines/],
    ["3 lines", lines.slice(0, 3).join("\n"), /expected 4 lines/],
    ["5 lines", [...lines.slice(0, 4), "extra", ""].join("\n"), /expected 4 lines/],
    ["no untrusted prefix", ["comment", ...lines.slice(1)].join("\n"), /first line/],
    ["no trusted prefix", [lines[0], lines[1], "trusted: x", lines[3], ""].join("\n"), /third line/],
    ["bad sig base64", [lines[0], lines[1].slice(1), ...lines.slice(2)].join("\n"), /signature line/],
    [
      "unknown algorithm",
      [lines[0], legacyAlg.toString("base64"), ...lines.slice(2)].join("\n"),
      /algorithm/,
    ],
    [
      "bad global sig",
      [...lines.slice(0, 3), lines[3].slice(0, -4), ""].join("\n"),
      /trusted comment signature/,
    ],
    [
      "too long comment",
      [lines[0], lines[1], "trusted comment: " + "x".repeat(9000), lines[3]].join("\n"),
      /too long/,
    ],
  ];
  for (const [name, text, re] of cases) {
    await t.step(name, () => {
      assert.throws(
        () => parseSignature(new TextEncoder().encode(text)),
        (e: unknown) => e instanceof VerificationError && re.test(e.message),
      );
    });
  }
});

Deno.test("decodeBase64Strict() accepts only canonical padded base64", () => {
  assert.deepEqual(decodeBase64Strict("YWI="), new Uint8Array([0x61, 0x62]));
  for (const s of ["YWI", "YW I=", "YWJ=", "YW-=", "=YWI"]) assert.equal(decodeBase64Strict(s), undefined, s);
});
