/**
 * End to end with the compiled binary: split volumes (round trip given the index or the first volume,
 * a missing or corrupt volume named), the size limit (refused before writing when the bundle alone is
 * over it, and while writing; exit 1, nothing left), and shallow archives (`--depth` and the config's
 * `repositories[].shallow_clone_depth`; restore writes `.git/shallow`; a push to a server that needs
 * full history is refused with an explanation). Run `bash scripts/compile.sh` first.
 */
import assert from "node:assert/strict";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { git } from "../src/git/git.ts";
import { runBinary, type RunResult, tempDir } from "./support/binary.ts";
import { buildFixtureRepo, type FixtureRepo, forEachRef } from "./support/fixture_repo.ts";

let fixture: Promise<{ dir: string; fx: FixtureRepo }> | undefined;
function getFixture() {
  fixture ??= (async () => {
    const dir = tempDir("rc-split-e2e-");
    return { dir, fx: await buildFixtureRepo(dir, "sample-app") };
  })();
  return fixture;
}

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.code, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

Deno.test("e2e split: --split-size writes volumes and an index; verify and restore take either", async (t) => {
  const { dir, fx } = await getFixture();
  const out = join(dir, "split");
  ok(
    await runBinary([
      "archive",
      "create",
      fx.dir,
      "--output",
      out,
      "--no-dependencies",
      "--split-size",
      "100K",
    ]),
    "create",
  );
  const names = readdirSync(out).sort();
  const index = names.find((n) => n.endsWith(".tar.gz.volumes.json"))!;
  const volumes = names.filter((n) => /\.tar\.gz\.\d{3}$/.test(n));
  assert.ok(index, `an index in ${names}`);
  assert.ok(volumes.length >= 3, `several volumes: ${volumes}`);
  assert.ok(!names.some((n) => n.endsWith(".tar.gz") || n.endsWith(".partial")), `no single file: ${names}`);
  for (const v of volumes) assert.ok(statSync(join(out, v)).size < 100 * 1024, `${v} under 100 KiB`);
  const idx = JSON.parse(readFileSync(join(out, index), "utf8"));
  assert.deepEqual(idx.volumes.map((v: { name: string }) => v.name), volumes);

  await t.step("verify and restore from the index or the first volume", async () => {
    ok(await runBinary(["archive", "verify", join(out, index)]), "verify index");
    ok(await runBinary(["archive", "verify", join(out, volumes[0])]), "verify .001");
    const restored = join(dir, "restored-split");
    ok(await runBinary(["archive", "restore", join(out, volumes[0]), "--output", restored]), "restore");
    assert.equal(await forEachRef(join(restored, "sample-app")), await forEachRef(fx.dir));
  });

  await t.step("a signed split archive: the index is signed and verify checks it", async () => {
    const env = { XDG_STATE_HOME: join(dir, "state") };
    const keys = join(dir, "keys");
    ok(await runBinary(["key", "generate", "--unencrypted", "-o", keys], { env }), "key generate");
    const signed = join(dir, "split-signed");
    ok(
      await runBinary(
        [
          "archive",
          "create",
          fx.dir,
          "--output",
          signed,
          "--no-dependencies",
          "--split-size",
          "100K",
          "--sign",
          join(keys, "repo-cloner.key"),
        ],
        { env },
      ),
      "create --sign",
    );
    const idx = readdirSync(signed).find((n) => n.endsWith(".volumes.json"))!;
    assert.ok(existsSync(join(signed, idx + ".minisig")), "the index carries the signature");
    const pub = join(keys, "repo-cloner.pub");
    const v = ok(
      await runBinary([
        "archive",
        "verify",
        join(signed, idx.replace(".volumes.json", ".001")),
        "--trusted-key",
        pub,
      ], { env }),
      "verify",
    );
    assert.match(v.stdout, /Signature: ✓/);
    const first = readFileSync(join(signed, idx), "utf8");
    writeFileSync(join(signed, idx), first + " "); // one more byte: the signed index changed
    const tampered = await runBinary(["archive", "verify", join(signed, idx), "--trusted-key", pub], { env });
    assert.equal(tampered.code, 3, "a changed index fails its signature");
  });

  await t.step("a missing volume is named, and nothing is restored", async () => {
    const copy = join(dir, "split-missing");
    mkdirSync(copy);
    for (const n of names) if (n !== volumes[1]) copyFileSync(join(out, n), join(copy, n));
    const v = await runBinary(["archive", "verify", join(copy, index)]);
    assert.equal(v.code, 3, v.stderr);
    assert.match(
      v.stderr,
      new RegExp(`volume "${volumes[1].replaceAll(".", "\\.")}" \\(2 of ${volumes.length}\\) is missing`),
    );
    const o = join(dir, "restored-missing");
    const r = await runBinary(["archive", "restore", join(copy, volumes[0]), "--output", o]);
    assert.equal(r.code, 3, r.stderr);
    assert.ok(!existsSync(join(o, "sample-app")));
  });

  await t.step("a corrupt volume is named", async () => {
    const copy = join(dir, "split-corrupt");
    mkdirSync(copy);
    for (const n of names) copyFileSync(join(out, n), join(copy, n));
    const victim = join(copy, volumes[volumes.length - 2]);
    const bytes = readFileSync(victim);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(victim, bytes);
    const v = await runBinary(["archive", "verify", join(copy, index)]);
    assert.equal(v.code, 3, v.stderr);
    assert.match(
      v.stderr,
      new RegExp(`volume "${volumes[volumes.length - 2].replaceAll(".", "\\.")}" .* is corrupt`),
    );
  });

  await t.step("the index missing is a usage error naming it", async () => {
    const copy = join(dir, "split-noindex");
    mkdirSync(copy);
    for (const n of volumes) copyFileSync(join(out, n), join(copy, n));
    const v = await runBinary(["archive", "verify", join(copy, volumes[0])]);
    assert.equal(v.code, 2, v.stderr);
    assert.match(v.stderr, /volume index ".*\.volumes\.json" is missing/);
  });
});

Deno.test("e2e max size: refused before writing (bundle alone) and while writing; exit 1, nothing left", async () => {
  const { dir, fx } = await getFixture();
  for (
    const [limit, detail] of [
      ["1K", /needs at least .* \(its git bundle alone/],
      [
        "120K",
        /grew past the limit while being written \(.* uncompressed in all\)\. archive\.max_size \(--max-size\) is 120 KiB/,
      ],
    ] as const
  ) {
    const out = join(dir, `limited-${limit}`);
    const r = await runBinary([
      "archive",
      "create",
      fx.dir,
      "--output",
      out,
      "--no-dependencies",
      "--max-size",
      limit,
    ]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /✗ Archive creation failed: ArchiveError: Archive size exceeds limit: /);
    assert.match(r.stderr, detail);
    assert.match(r.stderr, /--type incremental --base .*--depth N.*--split-size/);
    assert.deepEqual(existsSync(out) ? readdirSync(out) : [], [], "nothing left in the output directory");
  }
  const bad = await runBinary([
    "archive",
    "create",
    fx.dir,
    "--output",
    join(dir, "x"),
    "--max-size",
    "lots",
  ]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Cannot use --max-size \(archive.max_size\) "lots"/);
});

Deno.test("e2e shallow: --depth 1 and shallow_clone_depth; restore is shallow; a full-history server refuses it", async () => {
  const { dir, fx } = await getFixture();
  const out = join(dir, "shallow");
  ok(
    await runBinary(["archive", "create", fx.dir, "--output", out, "--no-dependencies", "--depth", "1"]),
    "create",
  );
  const archive = join(out, readdirSync(out).find((n) => n.endsWith(".tar.gz"))!);
  const inspected = JSON.parse(
    ok(await runBinary(["--json", "archive", "inspect", archive]), "inspect").stdout,
  );
  assert.equal(inspected.manifest.shallow.depth, 1);
  assert.ok(inspected.manifest.shallow.commits.length > 0);
  const target = join(dir, "full-history.git");
  await git(["init", "-q", "--bare", target]);
  const restored = join(dir, "restored-shallow");
  const r = await runBinary(["archive", "restore", archive, "--output", restored, "--target", target]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /the target requires full history, and this is a shallow restore \(the archive carries only the last 1 commits/,
  );
  const repo = join(restored, "sample-app");
  assert.equal(await forEachRef(repo), await forEachRef(fx.dir), "every branch and tag, at depth 1");
  assert.deepEqual(
    readFileSync(join(repo, ".git", "shallow"), "utf8").trim().split("\n").sort(),
    inspected.manifest.shallow.commits,
  );
  assert.equal((await git(["rev-list", "--count", "main"], { cwd: repo })).stdout.trim(), "1");
  assert.equal((await forEachRef(target)).trim(), "", "nothing reached the target");

  // The config's per-repository depth (2 keeps every commit of this short history: not shallow at
  // all; 1 cuts it), and an incremental refusing --depth.
  const config = join(dir, "shallow.yml");
  writeFileSync(config, `repositories:\n  - source: sample-app\n    shallow_clone_depth: 2\n`);
  const complete = join(dir, "shallow-config-2");
  ok(
    await runBinary([
      "--config",
      config,
      "archive",
      "create",
      fx.dir,
      "--output",
      complete,
      "--no-dependencies",
    ]),
    "2",
  );
  const a1 = join(complete, readdirSync(complete).find((n) => n.endsWith(".tar.gz"))!);
  assert.equal(
    JSON.parse((await runBinary(["--json", "archive", "inspect", a1])).stdout).manifest.shallow,
    null,
  );
  writeFileSync(config, `repositories:\n  - source: sample-app\n    shallow_clone_depth: 1\n`);
  const out2 = join(dir, "shallow-config");
  ok(
    await runBinary(["--config", config, "archive", "create", fx.dir, "--output", out2, "--no-dependencies"]),
    "config",
  );
  const a2 = join(out2, readdirSync(out2).find((n) => n.endsWith(".tar.gz"))!);
  assert.equal(
    JSON.parse((await runBinary(["--json", "archive", "inspect", a2])).stdout).manifest.shallow.depth,
    1,
  );
  const inc = await runBinary(["archive", "create", fx.dir, "--output", out2, "--base", a2, "--depth", "1"]);
  assert.equal(inc.code, 2);
  assert.match(inc.stderr, /Cannot cut the history \(--depth\) of an incremental archive/);
});
