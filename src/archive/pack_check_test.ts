import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { tempDir } from "../../tests/support/binary.ts";
import { git, gitEnv } from "../../tests/support/make_archive.ts";
import { BundleChecker } from "./bundle_check.ts";
import { parseBundleHeader } from "./bundle_header.ts";
import { PackChecker } from "./pack_check.ts";

function realBundle(
  format: "sha1" | "sha256" = "sha1",
): { bytes: Uint8Array; dir: string; env: Record<string, string> } {
  const root = tempDir("rc-pack-");
  const env = gitEnv(root);
  const dir = join(root, "r");
  mkdirSync(dir);
  git(dir, ["init", "-q", "-b", "main", `--object-format=${format}`], env);
  for (let i = 0; i < 3; i++) {
    writeFileSync(join(dir, `f${i}`), randomBytes(3000));
    git(dir, ["add", "."], env);
    git(dir, ["commit", "-q", "-m", `c${i}`], env);
  }
  execFileSync("git", ["bundle", "create", "-q", join(root, "b.bundle"), "--all"], { cwd: dir, env });
  return { bytes: readFileSync(join(root, "b.bundle")), dir, env };
}

function check(pack: Uint8Array, format: "sha1" | "sha256", chunk = 1000) {
  const c = new PackChecker(format);
  for (let i = 0; i < pack.length; i += chunk) c.update(pack.subarray(i, i + chunk));
  return c.finish();
}

Deno.test("PackChecker checks a real pack in any chunking", async (t) => {
  const { bytes, dir, env } = realBundle();
  const pack = bytes.subarray(parseBundleHeader(bytes).length);
  const objects = git(dir, ["rev-list", "--all", "--objects"], env).trim().split("\n").length;
  for (const chunk of [1, 7, 19, 20, 21, 4096, pack.length]) {
    await t.step(`chunk ${chunk}`, () => {
      assert.deepEqual(check(pack, "sha1", chunk), { version: 2, objects, bytes: pack.length });
    });
  }
});

Deno.test("PackChecker checks a sha256 pack (32-byte trailer)", () => {
  const { bytes } = realBundle("sha256");
  const h = parseBundleHeader(bytes);
  assert.equal(h.objectFormat, "sha256");
  assert.equal(check(bytes.subarray(h.length), "sha256").version, 2);
  assert.throws(() => check(bytes.subarray(h.length), "sha1"), /checksum mismatch/);
});

Deno.test("PackChecker refuses what `git bundle verify` accepts: a flipped byte, a truncated pack", async (t) => {
  const { bytes, dir, env } = realBundle();
  const h = parseBundleHeader(bytes);
  const flipped = bytes.slice();
  const mid = h.length + Math.floor((bytes.length - h.length) / 2);
  flipped[mid] ^= 0x55;
  const truncated = bytes.slice(0, bytes.length - 1);
  for (const [name, broken] of [["flipped", flipped], ["truncated", truncated]] as const) {
    await t.step(name, () => {
      const file = join(dir, "..", `${name}.bundle`);
      writeFileSync(file, broken);
      // The premise: git's own check passes these (it reads only the header).
      execFileSync("git", ["bundle", "verify", "-q", file], { cwd: dir, env, stdio: "pipe" });
      assert.throws(() => check(broken.subarray(h.length), "sha1"), /checksum mismatch|truncated/);
    });
  }
});

Deno.test("PackChecker refuses malformed packs", async (t) => {
  const { bytes } = realBundle();
  const pack = bytes.slice(parseBundleHeader(bytes).length);
  const cases: [string, Uint8Array, RegExp][] = [
    ["empty", new Uint8Array(0), /no pack data/],
    ["short", pack.subarray(0, 20), /truncated/],
    ["signature", Uint8Array.from(pack, (x, i) => i === 0 ? 0x51 : x), /PACK signature/],
    ["version 4", Uint8Array.from(pack, (x, i) => i === 7 ? 4 : x), /unsupported pack version 4/],
    ["object count too large", Uint8Array.from(pack, (x, i) => i === 8 ? 0x7f : x), /claims \d+ objects/],
    [
      "trailer flipped",
      Uint8Array.from(pack, (x, i) => i === pack.length - 1 ? x ^ 1 : x),
      /checksum mismatch/,
    ],
    ["half", pack.subarray(0, pack.length >> 1), /checksum mismatch/],
  ];
  for (const [name, p, re] of cases) await t.step(name, () => assert.throws(() => check(p, "sha1"), re));
});

Deno.test("BundleChecker defers errors to finish() and checks header + pack together", () => {
  const { bytes } = realBundle();
  const ok = new BundleChecker();
  for (let i = 0; i < bytes.length; i += 333) ok.update(bytes.subarray(i, i + 333));
  const s = ok.finish();
  assert.equal(s.bytes, bytes.length);
  assert.equal(s.header.refs.length, 2);
  const bad = new BundleChecker();
  bad.update(new TextEncoder().encode("# v9 git bundle\n"));
  bad.update(bytes); // must not throw
  assert.throws(() => bad.finish(), /not a git bundle/);
  const headerOnly = new BundleChecker();
  headerOnly.update(bytes.subarray(0, parseBundleHeader(bytes).length));
  assert.throws(() => headerOnly.finish(), /no pack data/);
});
