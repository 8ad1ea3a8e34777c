import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { generateEd25519 } from "./_ed25519.ts";
import {
  decryptSecretKey,
  encryptSecretKey,
  keyChecksum,
  scryptParams,
  type SecretKey,
} from "./secret_key.ts";

// Cheap scrypt cost for unit tests (N=1024); real keys use minisign's 1 GiB default.
const CHEAP = { opslimit: 32768n, memlimit: 8388608n };

function newKey(): SecretKey {
  const { secretKey, publicKey } = generateEd25519();
  return { keyId: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), secretKey, publicKey };
}

Deno.test("scryptParams() picks N, r, p as libsodium's pickparams does", async (t) => {
  const cases: Array<[string, bigint, bigint, { N: number; r: number; p: number }]> = [
    ["minisign -G (SENSITIVE)", 33554432n, 1073741824n, { N: 2 ** 20, r: 8, p: 1 }],
    ["INTERACTIVE", 524288n, 16777216n, { N: 2 ** 14, r: 8, p: 1 }],
    ["cheap test cost", 32768n, 8388608n, { N: 1024, r: 8, p: 1 }],
    ["opslimit below minimum is raised", 1n, 8388608n, { N: 1024, r: 8, p: 1 }],
    ["memory-bound with spare ops raises p", 33554432n * 4n, 1073741824n, { N: 2 ** 20, r: 8, p: 4 }],
  ];
  for (const [name, ops, mem, want] of cases) {
    await t.step(name, () => assert.deepEqual(scryptParams(ops, mem), want));
  }
});

Deno.test("encryptSecretKey()/decryptSecretKey() round-trip and check the password", async () => {
  const key = newKey();
  const file = await encryptSecretKey(key, { password: "correct horse", ...CHEAP });
  assert.equal(file.kdf, "scrypt");
  assert.notDeepEqual(file.keynumSk.slice(0, 8), key.keyId, "the key id is encrypted too");
  assert.deepEqual(await decryptSecretKey(file, { password: "correct horse" }), key);
  await assert.rejects(decryptSecretKey(file, { password: "wrong" }), /wrong password for that key/);
  await assert.rejects(
    decryptSecretKey(file, {}),
    (e: unknown) => e instanceof UsageError && /no password/.test(e.message),
  );
  await assert.rejects(encryptSecretKey(key, { password: "" }), UsageError);
});

Deno.test("decryptSecretKey() handles unencrypted keys, including minisign -W's zero checksum", async () => {
  const key = newKey();
  const file = await encryptSecretKey(key);
  assert.equal(file.kdf, "none");
  assert.deepEqual(file.keynumSk.slice(72), keyChecksum(key.keyId, key.secretKey));
  assert.deepEqual(await decryptSecretKey(file), key);
  const zero = { ...file, keynumSk: file.keynumSk.slice() };
  zero.keynumSk.fill(0, 72);
  assert.deepEqual(await decryptSecretKey(zero), key);
});

Deno.test("decryptSecretKey() refuses damaged keys and hostile KDF costs", async (t) => {
  const key = newKey();
  const file = await encryptSecretKey(key);
  await t.step("checksum mismatch", async () => {
    const bad = { ...file, keynumSk: file.keynumSk.slice() };
    bad.keynumSk[100] ^= 1;
    await assert.rejects(decryptSecretKey(bad), /checksum does not match/);
  });
  await t.step("public half does not belong to the seed", async () => {
    const other = newKey();
    const mixed = new Uint8Array(64);
    mixed.set(key.secretKey.subarray(0, 32));
    mixed.set(other.publicKey, 32);
    const bad = await encryptSecretKey({ ...key, secretKey: mixed });
    await assert.rejects(decryptSecretKey(bad), /public half does not match/);
  });
  await t.step("memlimit of 1 TiB", async () => {
    const enc = await encryptSecretKey(key, { password: "pw", ...CHEAP });
    const hostile = { ...enc, opslimit: 2n ** 45n, memlimit: 2n ** 40n };
    await assert.rejects(decryptSecretKey(hostile, { password: "pw" }), /exceed what we allow/);
  });
});
