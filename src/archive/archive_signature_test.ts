import assert from "node:assert/strict";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tests/support/binary.ts";
import { UsageError, VerificationError } from "../errors.ts";
import { generateKeyPair } from "../sign/keygen.ts";
import {
  checkArchiveSignature,
  checkSignedManifest,
  describeSignature,
  recordRestoredSequence,
  signArchive,
} from "./archive_signature.ts";
import type { Manifest } from "./manifest.ts";

const manifest = {
  archive_id: "0123abcd-4567-89ab-cdef-0123456789ab",
  type: "full",
  base: null,
  repository: { name: "backend-api" },
} as unknown as Manifest;

async function setup() {
  const dir = tempDir("rc-archsig-");
  const pair = await generateKeyPair({ unencrypted: true });
  const pub = join(dir, "k.pub");
  writeFileSync(pub, pair.publicKeyText);
  const archive = join(dir, "backend-api-full-20251013-153000.tar.gz");
  writeFileSync(archive, new Uint8Array(4096).map((_, i) => i & 0xff));
  return { dir, pair, pub, archive, stateDir: join(dir, "state") };
}

Deno.test("signArchive() issues increasing sequence numbers and checkArchiveSignature() reads the signed fields", async () => {
  const s = await setup();
  const first = await signArchive(s.archive, manifest, {
    key: s.pair.key,
    name: "backend-api-full-20251013-153000.tar.gz",
    stateDir: s.stateDir,
  });
  assert.equal(first.seq, 1);
  const second = await signArchive(s.archive, manifest, {
    key: s.pair.key,
    name: "backend-api-full-20251013-153000.tar.gz",
    stateDir: s.stateDir,
  });
  assert.equal(second.seq, 2);
  assert.match(
    second.trustedComment,
    / archive_id:0123abcd-4567-89ab-cdef-0123456789ab type:full base:- seq:2 repo:backend-api$/,
  );
  const check = await checkArchiveSignature(s.archive, { trustedKeyPath: s.pub, stateDir: s.stateDir });
  assert.equal(check.status, "verified");
  assert.equal(describeSignature(check), `(key ${s.pair.keyId}, seq 2)`);
  checkSignedManifest(check, manifest, s.archive);
  assert.throws(
    () => checkSignedManifest(check, { ...manifest, archive_id: "ffffffff-0000" }, s.archive),
    (e) => e instanceof VerificationError && /the signature covers archive 0123abcd/.test(e.message),
  );
});

Deno.test("checkArchiveSignature(): rollback after a recorded restore, wrong file name, policies", async () => {
  const s = await setup();
  const name = "backend-api-full-20251013-153000.tar.gz";
  await signArchive(s.archive, manifest, { key: s.pair.key, name, stateDir: s.stateDir });
  const old = join(s.dir, "old");
  copyFileSync(`${s.archive}.minisig`, old);
  await signArchive(s.archive, manifest, { key: s.pair.key, name, stateDir: s.stateDir });
  const latest = await checkArchiveSignature(s.archive, { trustedKeyPath: s.pub, stateDir: s.stateDir });
  await recordRestoredSequence(latest, { stateDir: s.stateDir });
  copyFileSync(old, `${s.archive}.minisig`);
  await assert.rejects(
    checkArchiveSignature(s.archive, { trustedKeyPath: s.pub, stateDir: s.stateDir }),
    (e) => e instanceof VerificationError && /sequence number 1 is lower than 2/.test(e.message),
  );
  const renamed = join(s.dir, "other-name.tar.gz");
  copyFileSync(s.archive, renamed);
  copyFileSync(old, `${renamed}.minisig`);
  await assert.rejects(
    checkArchiveSignature(renamed, { trustedKeyPath: s.pub, stateDir: s.stateDir }),
    (e) =>
      e instanceof VerificationError &&
      /was made for "backend-api-full-20251013-153000\.tar\.gz"/.test(e.message),
  );
  const unsigned = join(s.dir, "unsigned.tar.gz");
  writeFileSync(unsigned, "x");
  assert.deepEqual(await checkArchiveSignature(unsigned, { stateDir: s.stateDir }), { status: "unsigned" });
  const warned = await checkArchiveSignature(unsigned, {
    stateDir: s.stateDir,
    trustedKeyPath: s.pub,
    policy: "if-present",
  });
  assert.equal(warned.status, "unsigned");
  assert.match(describeSignature(warned), /not signed/);
  await assert.rejects(
    checkArchiveSignature(unsigned, { stateDir: s.stateDir, trustedKeyPath: s.pub }),
    VerificationError,
  );
  await assert.rejects(
    checkArchiveSignature(unsigned, { stateDir: s.stateDir, policy: "always" }),
    UsageError,
  );
  assert.equal(
    (await checkArchiveSignature(s.archive, { stateDir: s.stateDir, policy: "never" })).status,
    "not-checked",
  );
});
