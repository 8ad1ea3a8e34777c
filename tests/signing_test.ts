/**
 * Cross-checks with Debian's minisign in both directions: keys from `repo-cloner key generate` (the
 * compiled binary) and from `minisign -G`; signatures from our library and from `minisign -S`.
 * Encrypted keys use minisign's real scrypt cost (1 GiB, seconds each), so encrypted cases are few.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CANARY, runBinary, tempDir } from "./support/binary.ts";
import { assertNoCanary as assertNoCanaryIn } from "./support/canary.ts";
import { UsageError, VerificationError } from "../src/errors.ts";
import {
  formatArchiveTrustedComment,
  loadSecretKey,
  signFile,
  verifyFileSignature,
} from "../src/sign/mod.ts";

/** The key passphrase; it carries the canary so every output is checked for it. */
const PASSWORD = `pw-${CANARY}`;

interface Minisign {
  code: number;
  out: string;
}

/** Runs Debian's minisign; `input` feeds its password prompt(s) on stdin. */
function minisign(args: string[], input = ""): Minisign {
  const r = spawnSync("minisign", args, { input, encoding: "utf8", timeout: 120_000 });
  return { code: r.status ?? 128, out: `${r.stdout}${r.stderr}` };
}

function sample(dir: string, name = "app-full-20251013-153000.tar.gz", size = 200_000): string {
  const p = join(dir, name);
  writeFileSync(p, new Uint8Array(size).map((_, i) => (i * 131 + 17) & 0xff));
  return p;
}

function archiveComment(file: string, seq: number): string {
  return formatArchiveTrustedComment({
    timestamp: 1760367000,
    file,
    archiveId: "5d41402a-bc4b-4a76-b971-9d911017c592",
    type: "full",
    base: null,
    seq,
    repo: "company/backend-api",
  });
}

function assertNoCanary(...texts: string[]): void {
  assertNoCanaryIn(texts);
}

Deno.test("key generate (binary, encrypted) → minisign -S signs with it; our signatures pass minisign -V", async () => {
  const dir = tempDir("rc-sign-");
  const log = join(dir, "log.jsonl");
  const r = await runBinary(["--log-file", log, "key", "generate", "-o", join(dir, "keys")], {
    env: { REPO_CLONER_KEY_PASSWORD: PASSWORD },
  });
  assert.equal(r.code, 0, r.stderr);
  const pub = join(dir, "keys", "repo-cloner.pub");
  const sec = join(dir, "keys", "repo-cloner.key");
  const keyId = /key id ([0-9A-F]+)/.exec(r.stdout)?.[1];
  assert.ok(keyId, r.stdout);
  assert.match(readFileSync(pub, "utf8"), new RegExp(`^untrusted comment: minisign public key ${keyId}\n`));
  assert.equal(statSync(sec).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(join(dir, "keys")).sort(), ["repo-cloner.key", "repo-cloner.pub"]);
  assertNoCanary(
    r.stdout,
    r.stderr,
    readFileSync(log, "utf8"),
    readFileSync(sec, "utf8"),
    readFileSync(pub, "utf8"),
  );

  // minisign decrypts our key (scrypt + BLAKE2b-256 checksum made inside the binary) and signs with it.
  const file = sample(dir);
  const ms = minisign(["-S", "-s", sec, "-m", file, "-t", "signed by minisign"], `${PASSWORD}\n`);
  assert.equal(ms.code, 0, ms.out);
  assert.equal(minisign(["-V", "-p", pub, "-m", file]).code, 0);
  const ours = await verifyFileSignature(file, `${file}.minisig`, { publicKeyPath: pub });
  assert.deepEqual([ours.keyId, ours.trustedComment, ours.fields], [keyId, "signed by minisign", null]);

  // We sign with our encrypted key (password as the archive pipeline passes it); minisign verifies.
  const tc = archiveComment("app-full-20251013-153000.tar.gz", 3);
  const signed = await signFile(file, sec, { password: PASSWORD, trustedComment: tc });
  assert.equal(signed.keyId, keyId);
  const mv = minisign(["-Vm", file, "-p", pub]);
  assert.equal(mv.code, 0, mv.out);
  assert.ok(mv.out.includes(`Trusted comment: ${tc}`), mv.out);
  assert.equal((await verifyFileSignature(file, `${file}.minisig`, { publicKeyPath: pub })).fields?.seq, 3);

  // A custom signature path, checked with minisign -x.
  const key = await loadSecretKey(sec, { password: PASSWORD });
  const custom = join(dir, "elsewhere.sig");
  await signFile(file, sec, { key, signaturePath: custom });
  assert.equal(minisign(["-V", "-x", custom, "-p", pub, "-m", file]).code, 0);
});

Deno.test("key generate --unencrypted (binary) → minisign -S needs no password; minisign -V accepts ours", async () => {
  const dir = tempDir("rc-sign-");
  const pub = join(dir, "a.pub");
  const sec = join(dir, "sub", "a.key");
  const r = await runBinary(["--json", "key", "generate", "--unencrypted", "-p", pub, "-s", sec]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.deepEqual(
    [result.status, result.encrypted, result.public_key, result.secret_key],
    ["success", false, pub, sec],
  );
  assert.equal(statSync(sec).mode & 0o777, 0o600);
  const file = sample(dir);
  assert.equal(minisign(["-S", "-s", sec, "-m", file, "-x", `${file}.ms`]).code, 0);
  assert.equal((await verifyFileSignature(file, `${file}.ms`, { publicKeyPath: pub })).keyId, result.key_id);
  await signFile(file, sec, { trustedComment: archiveComment("app-full-20251013-153000.tar.gz", 1) });
  const mv = minisign(["-Vm", file, "-p", pub]);
  assert.equal(mv.code, 0, mv.out);
});

Deno.test("minisign -G keys (encrypted and -W) → we verify minisign's signatures and sign for minisign -V", async (t) => {
  const dir = tempDir("rc-sign-");
  for (const encrypted of [true, false]) {
    await t.step(encrypted ? "encrypted (password on stdin)" : "unencrypted (-W)", async () => {
      const pub = join(dir, `m${encrypted}.pub`);
      const sec = join(dir, `m${encrypted}.key`);
      const gen = encrypted
        ? minisign(["-G", "-p", pub, "-s", sec], `${PASSWORD}\n${PASSWORD}\n`)
        : minisign(["-G", "-W", "-p", pub, "-s", sec]);
      assert.equal(gen.code, 0, gen.out);
      const file = sample(dir, `file-${encrypted}.bin`, 3_000_000);
      const s = minisign(
        ["-S", "-s", sec, "-m", file, "-t", "trusted comment from minisign"],
        `${PASSWORD}\n`,
      );
      assert.equal(s.code, 0, s.out);
      const v = await verifyFileSignature(file, `${file}.minisig`, { publicKeyPath: pub });
      assert.equal(v.trustedComment, "trusted comment from minisign");
      assert.equal(v.algorithm, "ED");
      const pubId = /minisign public key ([0-9A-F]+)/.exec(readFileSync(pub, "utf8"))?.[1];
      assert.equal(v.keyId, pubId);

      const other = sample(dir, `other-${encrypted}.bin`, 1000);
      await signFile(other, sec, { password: encrypted ? PASSWORD : undefined, trustedComment: "ours" });
      const mv = minisign(["-Vm", other, "-p", pub]);
      assert.equal(mv.code, 0, mv.out);
      assert.match(mv.out, /Trusted comment: ours/);
    });
  }
  await t.step("encrypted minisign key without a password is a usage error", async () => {
    await assert.rejects(signFile(sample(dir, "x"), join(dir, "mtrue.key"), {}), UsageError);
  });
});

Deno.test("tampering: minisign and we agree on every refusal; legacy Ed needs allowLegacy", async (t) => {
  const dir = tempDir("rc-sign-");
  const pub = join(dir, "m.pub");
  const sec = join(dir, "m.key");
  assert.equal(minisign(["-G", "-W", "-p", pub, "-s", sec]).code, 0);
  const fresh = (name: string, legacy = false) => {
    const file = sample(dir, name);
    const s = minisign(["-S", ...(legacy ? ["-l"] : []), "-s", sec, "-m", file, "-t", "seq 5"]);
    assert.equal(s.code, 0, s.out);
    return { file, sig: `${file}.minisig` };
  };
  const both = async (file: string, sig: string, keyPath: string, re: RegExp) => {
    assert.equal(minisign(["-V", "-p", keyPath, "-m", file, "-x", sig]).code, 1, "minisign must refuse too");
    await assert.rejects(
      verifyFileSignature(file, sig, { publicKeyPath: keyPath }),
      (e: unknown) => e instanceof VerificationError && re.test(e.message),
    );
  };
  await t.step("edited trusted comment", async () => {
    const { file, sig } = fresh("a");
    writeFileSync(sig, readFileSync(sig, "utf8").replace("seq 5", "seq 9"));
    await both(file, sig, pub, /trusted comment was altered/);
  });
  await t.step("one byte of the file changed", async () => {
    const { file, sig } = fresh("b");
    const b = readFileSync(file);
    b[100] ^= 0x80;
    writeFileSync(file, b);
    await both(file, sig, pub, /does not match the file/);
  });
  await t.step("another key", async () => {
    const { file, sig } = fresh("c");
    const otherPub = join(dir, "o.pub");
    assert.equal(minisign(["-G", "-W", "-p", otherPub, "-s", join(dir, "o.key")]).code, 0);
    await both(file, sig, otherPub, /key id is [0-9A-F]+ but the trusted key id is [0-9A-F]+/);
  });
  await t.step("legacy Ed signature (minisign -S -l)", async () => {
    const { file, sig } = fresh("d", true);
    assert.equal(minisign(["-V", "-p", pub, "-m", file]).code, 0, "minisign accepts legacy by default");
    assert.notEqual(minisign(["-V", "-H", "-p", pub, "-m", file]).code, 0, "…but not with -H");
    await assert.rejects(verifyFileSignature(file, sig, { publicKeyPath: pub }), /legacy "Ed" signature/);
    const v = await verifyFileSignature(file, sig, { publicKeyPath: pub, allowLegacy: true });
    assert.deepEqual([v.algorithm, v.trustedComment], ["Ed", "seq 5"]);
  });
});

Deno.test("key generate (binary) refuses unsafe or ambiguous requests with exit 2 and keeps existing keys", async () => {
  const dir = tempDir("rc-sign-");
  const noPw = await runBinary(["key", "generate", "-o", dir]);
  assert.equal(noPw.code, 2);
  assert.match(noPw.stderr, /Cannot generate key: no passphrase. Set REPO_CLONER_KEY_PASSWORD/);
  assert.deepEqual(readdirSync(dir), []);

  assert.equal((await runBinary(["key", "generate", "--unencrypted", "-o", dir])).code, 0);
  const before = readFileSync(join(dir, "repo-cloner.key"), "utf8");
  const again = await runBinary(["key", "generate", "--unencrypted", "-o", dir]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /repo-cloner\.key": it already exists\. Pass --force/);
  assert.equal(readFileSync(join(dir, "repo-cloner.key"), "utf8"), before);
  const forced = await runBinary(["key", "generate", "--unencrypted", "--force", "-o", dir]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.notEqual(readFileSync(join(dir, "repo-cloner.key"), "utf8"), before);
  assert.deepEqual(readdirSync(dir).sort(), ["repo-cloner.key", "repo-cloner.pub"], "no temp files left");

  const usage: Array<[string[], RegExp]> = [
    [["-p", join(dir, "x.pub")], /both --public-key and --secret-key/],
    [["-o", dir, "-p", join(dir, "x.pub"), "-s", join(dir, "x.key")], /exclude each other/],
    [["--unencrypted", "--password-file", join(dir, "pw")], /exclude each other/],
    [["--password-file", join(dir, "missing"), "-o", join(dir, "n")], /Cannot read password file/],
    [["-p", join(dir, "same"), "-s", join(dir, "same")], /are the same/],
  ];
  for (const [args, re] of usage) {
    const r = await runBinary(["key", "generate", ...args], { env: { REPO_CLONER_KEY_PASSWORD: PASSWORD } });
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assertNoCanary(r.stdout, r.stderr);
  }
  assert.ok(!existsSync(join(dir, "n")));
});

Deno.test("key generate --password-file (binary): minisign decrypts the key with that password", async () => {
  const dir = tempDir("rc-sign-");
  const pwFile = join(dir, "pw.txt");
  writeFileSync(pwFile, `${PASSWORD}\r\n`);
  const r = await runBinary(["key", "generate", "--password-file", pwFile, "-o", dir], {
    env: { REPO_CLONER_KEY_PASSWORD: "not-this-one" },
  });
  assert.equal(r.code, 0, r.stderr);
  assertNoCanary(r.stdout, r.stderr);
  const file = sample(dir);
  const s = minisign(["-S", "-s", join(dir, "repo-cloner.key"), "-m", file], `${PASSWORD}\n`);
  assert.equal(s.code, 0, s.out);
  assert.equal(minisign(["-V", "-p", join(dir, "repo-cloner.pub"), "-m", file]).code, 0);
});

Deno.test("bun-compiled signing code (BLAKE2b-512 stream, Ed25519) interoperates with minisign", () => {
  const root = resolve(import.meta.dirname ?? ".", "..");
  const bun = join(root, ".tools/node_modules/.bin/bun");
  const dir = tempDir("rc-sign-");
  const runner = join(dir, "sign_runner");
  execFileSync(bun, ["build", "--compile", join(root, "tests/support/sign_runner.ts"), "--outfile", runner], {
    cwd: root,
    stdio: "ignore",
  });
  const pub = join(dir, "m.pub");
  const sec = join(dir, "m.key");
  assert.equal(minisign(["-G", "-W", "-p", pub, "-s", sec]).code, 0);
  const file = sample(dir, "big.tar.gz", 5_000_000);
  const run = (args: string[]) =>
    spawnSync(runner, args, { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });

  const signed = run(["sign", file, sec, archiveComment("big.tar.gz", 2)]);
  assert.equal(signed.status, 0, signed.stderr);
  const mv = minisign(["-Vm", file, "-p", pub]);
  assert.equal(mv.code, 0, mv.out);

  assert.equal(minisign(["-S", "-s", sec, "-m", file, "-x", `${file}.ms`, "-t", "from minisign"]).code, 0);
  const verified = run(["verify", file, `${file}.ms`, pub]);
  assert.equal(verified.status, 0, verified.stderr);
  assert.equal(JSON.parse(verified.stdout).trustedComment, "from minisign");

  const b = readFileSync(file);
  b[4_999_999] ^= 1;
  writeFileSync(file, b);
  const bad = run(["verify", file, `${file}.ms`, pub]);
  assert.equal(bad.status, 3, bad.stderr);
  assert.match(bad.stderr, /VerificationError: .*does not match the file/);
});
