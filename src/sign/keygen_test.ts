import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { generateKeyPair, writeKeyPair } from "./keygen.ts";
import { parsePublicKey } from "./minisign_format.ts";
import { loadSecretKey } from "./secret_key.ts";

function paths() {
  const dir = mkdtempSync(join(tmpdir(), "rc-keygen-"));
  return { dir, publicKeyPath: join(dir, "k.pub"), secretKeyPath: join(dir, "k.key") };
}

Deno.test("writeKeyPair() writes a loadable pair, secret key mode 0600, no temp files", async () => {
  const p = paths();
  const pair = await generateKeyPair({ unencrypted: true });
  writeKeyPair(pair, p);
  assert.equal(statSync(p.secretKeyPath).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(p.dir).sort(), ["k.key", "k.pub"]);
  const loaded = await loadSecretKey(p.secretKeyPath);
  assert.deepEqual(loaded.publicKey, parsePublicKey(readFileSync(p.publicKeyPath, "utf8")).publicKey);
  assert.equal(
    readFileSync(p.publicKeyPath, "utf8").split("\n")[0],
    `untrusted comment: minisign public key ${pair.keyId}`,
  );
});

Deno.test("writeKeyPair() refuses to overwrite without force, keeps the old files", async (t) => {
  for (const which of ["secretKeyPath", "publicKeyPath", "symlink"] as const) {
    await t.step(which, async () => {
      const p = paths();
      if (which === "symlink") symlinkSync(join(p.dir, "dangling"), p.secretKeyPath);
      else writeFileSync(p[which], "old\n");
      const pair = await generateKeyPair({ unencrypted: true });
      assert.throws(
        () => writeKeyPair(pair, p),
        (e: unknown) => e instanceof UsageError && /already exists.*--force/.test(e.message),
      );
      if (which !== "symlink") assert.equal(readFileSync(p[which], "utf8"), "old\n");
      assert.equal(readdirSync(p.dir).length, 1);
    });
  }
});

Deno.test("writeKeyPair() with force replaces both files", async () => {
  const p = paths();
  writeKeyPair(await generateKeyPair({ unencrypted: true }), p);
  const second = await generateKeyPair({ unencrypted: true });
  writeKeyPair(second, p, { force: true });
  assert.equal(readFileSync(p.publicKeyPath, "utf8"), second.publicKeyText);
  assert.equal(readFileSync(p.secretKeyPath, "utf8"), second.secretKeyText);
  assert.equal(statSync(p.secretKeyPath).mode & 0o777, 0o600);
});

Deno.test("generateKeyPair() needs a password unless unencrypted, and not both", async () => {
  await assert.rejects(generateKeyPair({}), /no passphrase/);
  await assert.rejects(generateKeyPair({ password: "" }), /no passphrase/);
  await assert.rejects(generateKeyPair({ unencrypted: true, password: "x" }), UsageError);
  const p = paths();
  assert.throws(
    () => writeKeyPair({} as never, { publicKeyPath: p.publicKeyPath, secretKeyPath: p.publicKeyPath }),
    /are the same/,
  );
});
