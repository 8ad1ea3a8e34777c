import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBinary, tempDir } from "./support/binary.ts";
import { hostileCases } from "./support/hostile_archives.ts";
import { gzipBomb2GiB } from "./support/hostile_extra.ts";

const { valid, parts, cases } = hostileCases();

function caseFile(dir: string, c: (typeof cases)[number]): string {
  const file = c.bytes === null
    ? join(dir, "missing.tar.gz")
    : c.bytes === "dir"
    ? dir
    : join(dir, `${c.name}.tar.gz`);
  if (c.bytes instanceof Uint8Array) writeFileSync(file, c.bytes);
  return file;
}

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", args, { cwd, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

Deno.test("binary: the unmodified sample archive verifies (so every refusal below is earned)", async () => {
  const dir = tempDir("rc-hostile-bin-");
  writeFileSync(join(dir, "valid.tar.gz"), valid);
  const r = await runBinary(["archive", "verify", join(dir, "valid.tar.gz")]);
  assert.equal(r.code, 0, r.stderr);
});

Deno.test("binary: archive verify refuses every hostile archive with its exit code and a one-line cause", async (t) => {
  const dir = tempDir("rc-hostile-bin-");
  for (const c of cases) {
    await t.step(`${c.name}: ${c.attack}`, async () => {
      const r = await runBinary(["archive", "verify", caseFile(dir, c)]);
      if (c.verifies) {
        // Internally consistent: only git (at restore) can see the attack.
        assert.equal(r.code, 0, r.stderr);
        return;
      }
      assert.equal(r.code, c.code, r.stderr);
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /^✗ Cannot verify archive "[^"]+": /);
      assert.match(lines[0], c.message);
      if (c.code === 3) assert.match(r.stdout, /✗ Archive is NOT valid/);
    });
  }
});

Deno.test("binary: archive restore refuses every hostile archive: one line, staging removed, nothing outside, target unchanged", async (t) => {
  const root = tempDir("rc-hostile-restore-");
  // A target that already has history: it must come out of every refusal exactly as it went in.
  const seed = join(root, "seed");
  mkdirSync(seed);
  git(seed, "init", "-q", "-b", "main");
  git(seed, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "--allow-empty", "-m", "existing");
  const target = join(root, "target.git");
  git(root, "clone", "-q", "--bare", seed, target);
  const targetRefs = git(target, "for-each-ref");
  for (const c of cases) {
    await t.step(`${c.name}`, async () => {
      const dir = join(root, c.name);
      mkdirSync(dir);
      const file = caseFile(dir, c);
      const out = join(dir, "out");
      mkdirSync(out);
      writeFileSync(join(out, "keep.txt"), "existing work\n");
      const before = readdirSync(dir).sort();
      const r = await runBinary(["archive", "restore", file, "-o", out, "--target", `file://${target}`], {
        cwd: dir,
      });
      const want = c.restore ?? { code: c.code, message: c.message };
      assert.equal(r.code, want.code, r.stdout + r.stderr);
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /^✗ Cannot /);
      assert.match(lines[0], want.message);
      assert.deepEqual(readdirSync(out), ["keep.txt"], "staging or a partial repository was left");
      assert.equal(readFileSync(join(out, "keep.txt"), "utf8"), "existing work\n");
      assert.deepEqual(readdirSync(dir).sort(), before, "something was written beside the output directory");
      assert.equal(git(target, "for-each-ref"), targetRefs, "the target changed");
      for (const p of ["/tmp/rc-escape.txt", "/tmp/rc-pwned", join(root, "escape.txt"), "/etc/cron.d/evil"]) {
        assert.ok(!existsSync(p), `${p} was written`);
      }
    });
  }
});

Deno.test("binary: a 2 MB gzip bomb (2 GiB of zeros) is refused by verify and restore without filling the disk", async () => {
  const dir = tempDir("rc-hostile-bomb-");
  const file = join(dir, "gzip-bomb-2gib.tar.gz");
  const bomb = await gzipBomb2GiB(parts, file);
  const v = await runBinary(["archive", "verify", file]);
  assert.equal(v.code, 3, v.stderr);
  assert.match(v.stderr, bomb.message);
  const out = join(dir, "out");
  const r = await runBinary(["archive", "restore", file, "-o", out]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, bomb.message);
  assert.deepEqual(readdirSync(out), [], "staging was removed");
});

Deno.test("binary: the committed corpus (fixtures/hostile) is current and every file is refused as documented", async (t) => {
  const corpus = join(import.meta.dirname ?? ".", "..", "fixtures", "hostile");
  const documented = JSON.parse(readFileSync(join(corpus, "cases.json"), "utf8")) as Array<{
    name: string;
    file: string | null;
    verify: { code: number; message: string };
  }>;
  assert.deepEqual(
    documented.map((d) => d.name).sort(),
    [...cases.map((c) => c.name), "gzip-bomb-2gib"].sort(),
    "fixtures/hostile is stale: run deno run -A scripts/build_hostile_fixtures.ts",
  );
  const readme = readFileSync(join(corpus, "README.md"), "utf8");
  for (const d of documented) assert.ok(readme.includes(`\`${d.name}\``), `README lacks ${d.name}`);
  for (const d of documented.filter((x) => x.file !== null)) {
    await t.step(d.name, async () => {
      const r = await runBinary(["archive", "verify", join(corpus, d.file!)]);
      assert.equal(r.code, d.verify.code, r.stderr);
      if (d.verify.code !== 0) assert.match(r.stderr.trimEnd(), new RegExp(d.verify.message));
    });
  }
  const valid = await runBinary(["archive", "verify", join(corpus, "valid.tar.gz")]);
  assert.equal(valid.code, 0, valid.stderr);
});
