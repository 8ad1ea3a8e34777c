/**
 * Signed archives end to end with the compiled binary: `archive create --sign` (our keys and `minisign -G`
 * keys, encrypted and not), `minisign -Vm` on the result, `archive verify|restore --trusted-key` and every
 * refusal (tampered archive, wrong key, edited trusted comment, legacy Ed, missing or foreign signature,
 * rollback), checked before anything is decompressed. Run `bash scripts/compile.sh` first.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { CANARY, runBinary, type RunResult, tempDir } from "./support/binary.ts";
import { assertNoCanary } from "./support/canary.ts";

interface Minisign {
  code: number;
  out: string;
}

function minisign(args: string[], input = ""): Minisign {
  const r = spawnSync("minisign", args, { input, encoding: "utf8", timeout: 120_000 });
  return { code: r.status ?? 128, out: `${r.stdout}${r.stderr}` };
}

function sh(cwd: string, script: string): void {
  const r = spawnSync("sh", ["-c", script], { cwd, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
}

/** A tiny source repository, a key pair (unencrypted, ours) and a state directory. */
function setup(): { dir: string; repo: string; pub: string; sec: string; env: Record<string, string> } {
  const dir = tempDir("rc-signed-");
  const repo = join(dir, "backend-api");
  sh(
    dir,
    `git init -q -b main backend-api && cd backend-api && echo one > a.txt && git add a.txt && ` +
      `git -c user.name=t -c user.email=t@e commit -qm one && git tag v1`,
  );
  const pub = join(dir, "keys", "repo-cloner.pub");
  const sec = join(dir, "keys", "repo-cloner.key");
  assert.equal(minisign(["-G", "-W", "-p", pub, "-s", sec]).code, 0);
  return { dir, repo, pub, sec, env: { XDG_STATE_HOME: join(dir, "state") } };
}

async function create(s: ReturnType<typeof setup>, out: string, extra: string[] = []): Promise<string> {
  const r = await runBinary(
    ["archive", "create", s.repo, "--output", out, "--no-dependencies", "--sign", s.sec, ...extra],
    { env: s.env },
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /✓ Signed: backend-api-full-\d{8}-\d{6}\.tar\.gz\.minisig \(key [0-9A-F]{1,16}, sequence \d+\)/,
  );
  const name = readdirSync(out).find((n) => n.endsWith(".tar.gz"))!;
  return join(out, name);
}

function oneLineError(r: RunResult, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, r.stdout + r.stderr);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
}

Deno.test("create --sign: <archive>.minisig beside it (and in storage), minisign -Vm accepts it, verify/restore check it", async () => {
  const s = setup();
  const out = join(s.dir, "out");
  const usb = join(s.dir, "usb");
  const archive = await create(s, out, ["--storage", "local", "--storage-path", usb]);
  const name = archive.split("/").pop()!;
  assert.deepEqual(readdirSync(out).filter((n) => !n.endsWith(".html") && !n.endsWith(".json")).sort(), [
    name,
    `${name}.minisig`,
  ]);
  assert.ok(existsSync(join(usb, `${name}.minisig`)), "the signature travels with the archive");

  const mv = minisign(["-Vm", join(usb, name), "-p", s.pub]);
  assert.equal(mv.code, 0, mv.out);
  const manifest = JSON.parse(
    spawnSync("tar", ["-xzOf", archive, "manifest.json"], { encoding: "utf8" }).stdout,
  );
  const comment = new RegExp(
    `Trusted comment: timestamp:\\d+ file:${name.replace(/\./g, "\\.")} archive_id:${manifest.archive_id} ` +
      `type:full base:- seq:1 repo:backend-api`,
  );
  assert.match(mv.out, comment);

  const v = await runBinary(["archive", "verify", join(usb, name), "--trusted-key", s.pub], { env: s.env });
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /✓ Archive is valid\n\s+Signature: ✓ \(key [0-9A-F]{1,16}, seq 1\)\n\s+Manifest: ✓/);

  const r = await runBinary(
    [
      "archive",
      "restore",
      join(usb, name),
      "--trusted-key",
      s.pub,
      "--output",
      join(s.dir, "restored"),
      "--json",
    ],
    { env: s.env },
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.signature.status, "verified");
  assert.equal(result.signature.seq, 1);
  assert.match(r.stderr, /Signature: ✓ \(key [0-9A-F]{1,16}, seq 1\)/);
  const state = JSON.parse(
    readFileSync(join(s.dir, "state", "repo-cloner", "signature-sequence.json"), "utf8"),
  );
  assert.equal(state.repositories["backend-api"].seq, 1);
  assert.equal(state.repositories["backend-api"].archive_id, manifest.archive_id);
});

Deno.test("an encrypted key: the passphrase (carrying the canary) comes from --password-file or the env, never leaks", async () => {
  const s = setup();
  const password = `pw-${CANARY}`;
  const keys = join(s.dir, "enc");
  const gen = await runBinary(["key", "generate", "-o", keys], {
    env: { REPO_CLONER_KEY_PASSWORD: password },
  });
  assert.equal(gen.code, 0, gen.stderr);
  const pwFile = join(s.dir, "pw.txt");
  writeFileSync(pwFile, `${password}\n`);
  const out = join(s.dir, "out");
  const log = join(s.dir, "create.log");
  const r = await runBinary(
    [
      "--log-file",
      log,
      "archive",
      "create",
      s.repo,
      "-o",
      out,
      "--no-dependencies",
      "--sign",
      join(keys, "repo-cloner.key"),
      "--password-file",
      pwFile,
    ],
    { env: s.env },
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const archive = join(out, readdirSync(out).find((n) => n.endsWith(".tar.gz"))!);
  assert.equal(minisign(["-Vm", archive, "-p", join(keys, "repo-cloner.pub")]).code, 0);

  const wrong = await runBinary(
    ["archive", "create", s.repo, "-o", join(s.dir, "out2"), "--sign", join(keys, "repo-cloner.key")],
    { env: { ...s.env, REPO_CLONER_KEY_PASSWORD: "not-the-password" } },
  );
  oneLineError(wrong, 2, /^✗ Cannot decrypt secret key ".*": wrong password for that key$/);
  assert.ok(!existsSync(join(s.dir, "out2")), "a wrong password fails before any work");
  assertNoCanary([r, wrong, gen], { files: [log, archive, `${archive}.minisig`] });
});

Deno.test("verify/restore refuse, with exit 3 and one line, every bad signature — before decompressing anything", async (t) => {
  const s = setup();
  const out = join(s.dir, "out");
  const archive = await create(s, out);
  const name = archive.split("/").pop()!;
  const sig = readFileSync(`${archive}.minisig`, "utf8");
  const cases = join(s.dir, "cases");
  const place = (sub: string, bytes: Uint8Array | string, sigText: string | null) => {
    const d = join(cases, sub);
    spawnSync("mkdir", ["-p", d]);
    writeFileSync(join(d, name), bytes);
    if (sigText !== null) writeFileSync(join(d, `${name}.minisig`), sigText);
    return join(d, name);
  };
  const original = readFileSync(archive);
  const check = async (file: string, code: number, pattern: RegExp, extra: string[] = []) => {
    for (const verb of ["verify", "restore"]) {
      const args = verb === "verify"
        ? ["archive", "verify", file, "--trusted-key", s.pub, ...extra]
        : ["archive", "restore", file, "--trusted-key", s.pub, "-o", join(s.dir, "r"), ...extra];
      const r = await runBinary(args, { env: s.env });
      oneLineError(r, code, pattern);
      assert.ok(!existsSync(join(s.dir, "r", "backend-api")), "nothing restored");
    }
  };

  await t.step(
    "a gzip bomb with a signature that does not match: the signature is the cause named",
    async () => {
      const bomb = gzipSync(new Uint8Array(32 << 20));
      await check(place("bomb", bomb, sig), 3, /signature does not match the file/);
    },
  );
  await t.step("one flipped byte", async () => {
    const flipped = new Uint8Array(original);
    flipped[flipped.length >> 1] ^= 1;
    await check(place("flip", flipped, sig), 3, /signature does not match the file/);
  });
  await t.step("another key's signature (key id mismatch)", async () => {
    const otherPub = join(s.dir, "other.pub");
    const otherSec = join(s.dir, "other.key");
    assert.equal(minisign(["-G", "-W", "-p", otherPub, "-s", otherSec]).code, 0);
    const file = place("other-key", original, null);
    assert.equal(minisign(["-S", "-s", otherSec, "-m", file]).code, 0);
    await check(file, 3, /signature key id is [0-9A-F]{1,16} but the trusted key id is [0-9A-F]{1,16}/);
  });
  await t.step("an edited trusted comment (seq raised by hand)", async () => {
    const edited = sig.replace(/seq:1 /, "seq:9 ");
    assert.notEqual(edited, sig);
    await check(place("comment", original, edited), 3, /the trusted comment was altered/);
  });
  await t.step("a legacy Ed signature: refused unless --allow-legacy-signature", async () => {
    const file = place("legacy", original, null);
    assert.equal(minisign(["-S", "-l", "-s", s.sec, "-m", file, "-t", "legacy"]).code, 0);
    await check(file, 3, /legacy "Ed" signature \(not prehashed\) refused/);
    const ok = await runBinary(
      ["archive", "verify", file, "--trusted-key", s.pub, "--allow-legacy-signature"],
      { env: s.env },
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Signature: ✓ \(key [0-9A-F]{1,16}, legacy Ed\)/);
  });
  await t.step("no signature while a trusted key is given (policy always)", async () => {
    await check(
      place("unsigned", original, null),
      3,
      /signature ".*\.minisig" is missing and verify\.signature is "always"/,
    );
  });
  await t.step("a signature made for another archive file name", async () => {
    const d = join(cases, "renamed");
    spawnSync("mkdir", ["-p", d]);
    const other = join(d, "backend-api-full-20200101-000000.tar.gz");
    copyFileSync(archive, other);
    writeFileSync(`${other}.minisig`, sig);
    await check(other, 3, new RegExp(`the signature was made for "${name.replace(/\./g, "\\.")}", not`));
  });
  await t.step(
    "a minisign -S signature with its default comment verifies (no sequence to check)",
    async () => {
      const file = place("plain", original, null);
      assert.equal(minisign(["-S", "-s", s.sec, "-m", file]).code, 0);
      const r = await runBinary(["archive", "verify", file, "--trusted-key", s.pub], { env: s.env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Signature: ✓ \(key [0-9A-F]{1,16}\)\n/);
    },
  );
});

Deno.test("policy: if-present accepts an unsigned archive with a warning; never skips; a bad verify section is exit 2", async () => {
  const s = setup();
  const out = join(s.dir, "out");
  const archive = await create(s, out);
  renameSync(`${archive}.minisig`, join(s.dir, "aside.minisig"));
  const cfg = (text: string) => {
    const p = join(s.dir, `cfg-${Math.random().toString(16).slice(2)}.yml`);
    writeFileSync(p, text);
    return p;
  };
  const ifPresent = cfg(`verify:\n  signature: if-present\n  trusted_key: ${s.pub}\n`);
  const r = await runBinary(["--config", ifPresent, "archive", "verify", archive], { env: s.env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Signature: ⚠ archive is not signed: authenticity not checked/);

  const byConfig = cfg(`verify:\n  trusted_key: ${s.pub}\n`);
  const always = await runBinary(["--config", byConfig, "archive", "verify", archive], { env: s.env });
  oneLineError(always, 3, /is missing and verify\.signature is "always"/);

  renameSync(join(s.dir, "aside.minisig"), `${archive}.minisig`);
  writeFileSync(`${archive}.minisig`, readFileSync(`${archive}.minisig`, "utf8").replace("seq:1", "seq:7"));
  const never = cfg(`verify:\n  signature: never\n  trusted_key: ${s.pub}\n`);
  const skipped = await runBinary(["--config", never, "archive", "verify", archive], { env: s.env });
  assert.equal(skipped.code, 0, skipped.stderr);
  assert.match(skipped.stdout, /Signature: ⚠ verify\.signature is never/);

  const typo = cfg(`verify:\n  signatures: always\n`);
  const bad = await runBinary(["--config", typo, "archive", "verify", archive], { env: s.env });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /signatures/);
  const noKey = cfg(`verify:\n  signature: always\n`);
  const missingKey = await runBinary(["--config", noKey, "archive", "verify", archive], { env: s.env });
  oneLineError(missingKey, 2, /no trusted key is configured\. Pass --trusted-key PUB/);
});

Deno.test("rollback: after restoring sequence 2, the validly signed sequence 1 is refused (verify and restore)", async () => {
  const s = setup();
  const first = await create(s, join(s.dir, "out1"));
  await new Promise((r) => setTimeout(r, 1100)); // archive names carry the second
  const second = await create(s, join(s.dir, "out2"));
  assert.match(readFileSync(`${second}.minisig`, "utf8"), /seq:2 repo:backend-api/);
  const r2 = await runBinary(
    ["archive", "restore", second, "--trusted-key", s.pub, "-o", join(s.dir, "r2")],
    { env: s.env },
  );
  assert.equal(r2.code, 0, r2.stdout + r2.stderr);
  for (const args of [["verify", first], ["restore", first, "-o", join(s.dir, "r1")]]) {
    const r = await runBinary(["archive", ...args, "--trusted-key", s.pub], { env: s.env });
    oneLineError(
      r,
      3,
      /Cannot restore "backend-api": archive sequence number 1 is lower than 2, the last one restored \(possible rollback\)/,
    );
  }
  assert.ok(!existsSync(join(s.dir, "r1", "backend-api")));
  // The same archive again is fine (equal sequence).
  const again = await runBinary(
    ["archive", "restore", second, "--trusted-key", s.pub, "-o", join(s.dir, "r2b")],
    { env: s.env },
  );
  assert.equal(again.code, 0, again.stderr);
});
