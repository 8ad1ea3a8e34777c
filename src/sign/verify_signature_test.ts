import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError, VerificationError } from "../errors.ts";
import { ed25519Sign } from "./_ed25519.ts";
import { type GeneratedKeyPair, generateKeyPair } from "./keygen.ts";
import { encodeSignature, parseSignature } from "./minisign_format.ts";
import { signFile } from "./sign.ts";
import { formatArchiveTrustedComment } from "./trusted_comment.ts";
import { verifyFileSignature } from "./verify_signature.ts";

interface Fixture {
  dir: string;
  file: string;
  sig: string;
  pair: GeneratedKeyPair;
}

async function fixture(trustedComment?: string): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), "rc-verify-"));
  const file = join(dir, "app-full-20251013-153000.tar.gz");
  writeFileSync(file, new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff));
  const pair = await generateKeyPair({ unencrypted: true });
  const r = await signFile(file, "(unused)", { key: pair.key, trustedComment, now: () => 1760367000_000 });
  return { dir, file, sig: r.signaturePath, pair };
}

function rejectsWith(re: RegExp) {
  return (e: unknown) => e instanceof VerificationError && e.exitCode === 3 && re.test(e.message);
}

/** Rewrites a signature file through `edit` of its parsed form. */
function editSignature(path: string, edit: (s: ReturnType<typeof parseSignature>) => void): void {
  const s = parseSignature(readFileSync(path));
  edit(s);
  writeFileSync(path, encodeSignature(s));
}

Deno.test("verifyFileSignature() accepts a good signature and returns the archive fields", async () => {
  const tc = formatArchiveTrustedComment({
    timestamp: 1760367000,
    file: "app-full-20251013-153000.tar.gz",
    archiveId: "abc-123",
    type: "full",
    base: null,
    seq: 4,
    repo: "org/app",
  });
  const f = await fixture(tc);
  const r = await verifyFileSignature(f.file, f.sig, { publicKey: f.pair.publicKeyText });
  assert.equal(r.keyId, f.pair.keyId);
  assert.equal(r.algorithm, "ED");
  assert.equal(r.trustedComment, tc);
  assert.equal(r.fields?.seq, 4);
  assert.equal(r.fields?.archiveId, "abc-123");
  const pub = join(f.dir, "k.pub");
  writeFileSync(pub, f.pair.publicKeyText);
  assert.deepEqual(await verifyFileSignature(f.file, f.sig, { publicKeyPath: pub }), r);
});

Deno.test("verifyFileSignature() default trusted comment has no archive fields", async () => {
  const f = await fixture();
  const r = await verifyFileSignature(f.file, f.sig, { publicKey: f.pair.publicKeyText });
  assert.equal(r.trustedComment, "timestamp:1760367000\tfile:app-full-20251013-153000.tar.gz\thashed");
  assert.equal(r.fields, null);
});

Deno.test("verifyFileSignature() refuses every tampering", async (t) => {
  type Extra = { publicKey?: string; allowLegacy?: boolean; sig?: string };
  const cases: Array<[string, (f: Fixture) => Promise<Extra | void> | Extra | void, RegExp]> = [
    ["one flipped byte in the file", (f) => {
      const b = readFileSync(f.file);
      b[123_456] ^= 1;
      writeFileSync(f.file, b);
    }, /does not match the file/],
    [
      "appended byte",
      (f) => writeFileSync(f.file, Buffer.concat([readFileSync(f.file), Buffer.from([0])])),
      /does not match the file/,
    ],
    ["edited trusted comment", (f) => {
      editSignature(
        f.sig,
        (s) => s.trustedComment = new TextEncoder().encode("timestamp:1760367000\tfile:other\thashed"),
      );
    }, /trusted comment was altered/],
    ["trusted comment line edited as text", (f) => {
      writeFileSync(f.sig, readFileSync(f.sig, "utf8").replace("hashed", "hashes"));
    }, /trusted comment was altered/],
    [
      "wrong key",
      async () => ({ publicKey: (await generateKeyPair({ unencrypted: true })).publicKeyText }),
      /key id is [0-9A-F]+ but the trusted key id is [0-9A-F]+/,
    ],
    ["key id patched to the trusted key's", async (f) => {
      const other = await generateKeyPair({ unencrypted: true });
      editSignature(f.sig, (s) => s.keyId = other.key.keyId);
      return { publicKey: other.publicKeyText };
    }, /does not match the file/],
    ["signature replaced by one over another file", async (f) => {
      const other = join(f.dir, "other");
      writeFileSync(other, "other content");
      await signFile(other, "(unused)", { key: f.pair.key, signaturePath: f.sig });
    }, /does not match the file/],
    ["legacy Ed signature", (f) => {
      editSignature(f.sig, (s) => {
        s.algorithm = "Ed";
        s.signature = ed25519Sign(f.pair.key.secretKey, readFileSync(f.file));
        s.globalSignature = ed25519Sign(f.pair.key.secretKey, Buffer.concat([s.signature, s.trustedComment]));
      });
    }, /legacy "Ed" signature \(not prehashed\) refused/],
    ["legacy signature allowed, but over different bytes", (f) => {
      editSignature(f.sig, (s) => s.algorithm = "Ed");
      return { allowLegacy: true };
    }, /does not match the file/],
    ["signed but malformed archive comment", async (f) => {
      await signFile(f.file, "(unused)", { key: f.pair.key, trustedComment: "archive_id:x seq:1" });
    }, /signed trusted comment is malformed/],
    ["missing signature file", (f) => ({ sig: f.sig + ".missing" }), /ENOENT/],
  ];
  for (const [name, tamper, re] of cases) {
    await t.step(name, async () => {
      const f = await fixture();
      const { sig, ...extra } = (await tamper(f)) ?? {};
      await assert.rejects(
        verifyFileSignature(f.file, sig ?? f.sig, { publicKey: f.pair.publicKeyText, ...extra }),
        rejectsWith(re),
      );
    });
  }
});

Deno.test("verifyFileSignature() accepts legacy Ed only when allowed", async () => {
  const f = await fixture();
  editSignature(f.sig, (s) => {
    s.algorithm = "Ed";
    s.signature = ed25519Sign(f.pair.key.secretKey, readFileSync(f.file));
    s.globalSignature = ed25519Sign(f.pair.key.secretKey, Buffer.concat([s.signature, s.trustedComment]));
  });
  await assert.rejects(verifyFileSignature(f.file, f.sig, { publicKey: f.pair.publicKeyText }), /legacy/);
  const r = await verifyFileSignature(f.file, f.sig, { publicKey: f.pair.publicKeyText, allowLegacy: true });
  assert.equal(r.algorithm, "Ed");
});

Deno.test("verifyFileSignature() reports a bad trusted key as a usage error", async () => {
  const f = await fixture();
  await assert.rejects(verifyFileSignature(f.file, f.sig, { publicKey: "not a key" }), UsageError);
  await assert.rejects(
    verifyFileSignature(f.file, f.sig, { publicKeyPath: join(f.dir, "nope.pub") }),
    UsageError,
  );
  await assert.rejects(verifyFileSignature(f.file, f.sig, {}), TypeError);
});
