/**
 * `archive create` / `archive restore` command lines with the compiled binary: flags over environment
 * over config file, usage errors (exit 2) and --json. Run `bash scripts/compile.sh` first.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CANARY, runBinary, tempDir } from "./support/binary.ts";
import { buildFixtureRepo, type FixtureRepo } from "./support/fixture_repo.ts";

let fixture: Promise<FixtureRepo> | undefined;
const getFixture = () => (fixture ??= buildFixtureRepo(tempDir("rc-cli-fx-"), "cli-app"));

Deno.test("binary: archive create reads SOURCE_REPO_URL, ARCHIVE_OUTPUT_PATH and INCLUDE_DEPENDENCIES", async () => {
  const fx = await getFixture();
  const cwd = tempDir();
  const r = await runBinary(["archive", "create"], {
    cwd,
    env: { SOURCE_REPO_URL: fx.dir, ARCHIVE_OUTPUT_PATH: "from-env", INCLUDE_DEPENDENCIES: "false" },
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Skipped \(turned off: --no-dependencies or INCLUDE_DEPENDENCIES=false\)/);
  assert.equal(readdirSync(join(cwd, "from-env")).filter((n) => n.endsWith(".tar.gz")).length, 1);
});

Deno.test("binary: archive create precedence is flag, then environment, then config file", async () => {
  const fx = await getFixture();
  const cwd = tempDir();
  writeFileSync(join(cwd, "c.yml"), "archive:\n  output_path: from-config\n  include_dependencies: false\n");
  const fromConfig = await runBinary(["--config", "c.yml", "archive", "create", fx.dir], { cwd });
  assert.equal(fromConfig.code, 0, fromConfig.stderr);
  assert.match(fromConfig.stdout, /Skipped \(turned off/);
  assert.equal(readdirSync(join(cwd, "from-config")).filter((n) => n.endsWith(".tar.gz")).length, 1);

  const fromEnv = await runBinary(["--config", "c.yml", "archive", "create", fx.dir], {
    cwd,
    env: { ARCHIVE_OUTPUT_PATH: "from-env", INCLUDE_DEPENDENCIES: "true" },
  });
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  assert.doesNotMatch(fromEnv.stdout, /Skipped \(turned off/);
  assert.equal(readdirSync(join(cwd, "from-env")).filter((n) => n.endsWith(".tar.gz")).length, 1);

  const fromFlag = await runBinary(
    ["--config", "c.yml", "archive", "create", fx.dir, "--output", "from-flag", "--no-dependencies"],
    { cwd, env: { ARCHIVE_OUTPUT_PATH: "from-env", INCLUDE_DEPENDENCIES: "true" } },
  );
  assert.equal(fromFlag.code, 0, fromFlag.stderr);
  assert.match(fromFlag.stdout, /Skipped \(turned off/);
  assert.equal(readdirSync(join(cwd, "from-flag")).filter((n) => n.endsWith(".tar.gz")).length, 1);
});

Deno.test("binary: archive create --json prints one result object on stdout", async () => {
  const fx = await getFixture();
  const out = tempDir();
  const r = await runBinary(["--json", "archive", "create", fx.dir, "--output", out, "--no-dependencies"]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.status, "success");
  assert.equal(result.type, "full");
  assert.equal(result.lfs_objects, 2);
  assert.equal(result.refs, 8);
  assert.ok(existsSync(result.archive));
  assert.match(r.stderr, /Step 3\/5/, "the human view goes to stderr in JSON mode");
});

Deno.test("binary: archive create and restore usage errors exit 2 with a clear message", async (t) => {
  const fx = await getFixture();
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ["no source", ["archive", "create"], {}, /no source repository given/],
    [
      "credentials in the source URL",
      ["archive", "create", `https://user:${CANARY}@example.invalid/o/r.git`],
      {},
      /contains credentials/,
    ],
    [
      "bad INCLUDE_DEPENDENCIES",
      ["archive", "create", fx.dir],
      { INCLUDE_DEPENDENCIES: "maybe" },
      /INCLUDE_DEPENDENCIES="maybe"/,
    ],
    ["bad --type", ["archive", "create", fx.dir, "--type", "weekly"], {}, /invalid|Allowed choices/i],
    [
      "s3 storage with a local path",
      ["archive", "create", fx.dir, "--storage", "s3", "--storage-path", "/tmp/x"],
      {},
      /s3:\/\/bucket/,
    ],
    ["storage without a path", ["archive", "create", fx.dir, "--storage", "local"], {}, /no --storage-path/],
    ["no archive to restore", ["archive", "restore"], {}, /no archive given/],
    [
      "missing archive",
      ["archive", "restore", "/nonexistent/x-full-20250101-000000.tar.gz"],
      {},
      /Cannot restore archive/,
    ],
    [
      "credentials in the target URL",
      ["archive", "restore", "x.tar.gz", "--target", `https://u:${CANARY}@git.internal/a.git`],
      {},
      /Cannot use target/,
    ],
  ];
  for (const [name, args, env, message] of cases) {
    await t.step(name, async () => {
      const r = await runBinary(args, { cwd: tempDir(), env });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, message);
      assert.ok(!(r.stdout + r.stderr).includes(CANARY), "credential echoed");
    });
  }
});
