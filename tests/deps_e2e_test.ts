/**
 * End to end with the compiled binary: `archive create` fetches Python and Node.js dependencies from
 * the loopback index and registry (credentials: the CANARY), `archive verify` covers them, and
 * `archive restore` installs them with both servers stopped. Also: registry down (warning, exit 0;
 * strict, exit 1), a corrupted package inside the archive (verify names it, exit 3), and a host
 * without npm. Run `bash scripts/compile.sh` first.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { CANARY, runBinary, type RunResult, tempDir } from "./support/binary.ts";
import { buildProjectRepo, clientEnv, type DepServers, startDepServers } from "./support/dep_fixtures.ts";

interface World {
  dir: string;
  work: string;
  archive: string;
  create: RunResult;
  servers: DepServers;
  env: Record<string, string>;
}

let world: Promise<World> | undefined;
/** One archive with dependencies, made once; the servers are stopped right after. */
function getWorld(): Promise<World> {
  world ??= (async () => {
    const dir = tempDir("rc-deps-e2e-");
    const servers = await startDepServers(dir, {
      pyAuth: { username: "ci", password: CANARY },
      npmToken: CANARY,
    });
    try {
      const { work } = await buildProjectRepo(dir, "shop", {
        npmUrl: servers.npm.url,
        npmToken: CANARY,
        projects: [
          { root: ".", files: { "requirements.txt": "alpha==1.0\ngamma-src==0.3\n" } },
          { root: "web", npmDependencies: { top: "^1.0.0", "@acme/util": "1.0.0" } },
        ],
      });
      const env = clientEnv(dir, { pypiUrl: servers.pypi.url, npmUrl: servers.npm.url }, {
        PYPI_USERNAME: "ci",
        PYPI_PASSWORD: CANARY,
        NPM_TOKEN: CANARY,
      });
      delete env.PATH;
      const out = join(dir, "archives");
      const create = await runBinary(
        ["archive", "create", work, "--output", out, "--log-file", join(dir, "create.log")],
        { withNode: true, env },
      );
      assert.equal(create.code, 0, create.stdout + create.stderr);
      const archive = join(out, readdirSync(out).find((n) => n.endsWith(".tar.gz"))!);
      return { dir, work, archive, create, servers, env };
    } finally {
      await servers.close();
    }
  })();
  return world;
}

function assertNoCanary(where: string, text: string): void {
  assert.ok(!text.includes(CANARY), `token leaked into ${where}`);
}

Deno.test("e2e deps: create fetches both ecosystems, verify covers them, restore installs offline", async () => {
  const w = await getWorld();
  for (
    const line of [
      "🔍 Step 2/5: Detecting and fetching dependencies...",
      "   Found 2 language(s): Python, Node.js",
      `      Python: Fetching from PyPI index ${w.servers.pypi.url}...`,
      "         ✓ Fetched 3 packages",
      "      Node.js: Fetching from npm...",
      "         ✓ Fetched 4 packages",
      "  Dependencies: 7 packages",
    ]
  ) assert.ok(w.create.stdout.includes(line), `missing "${line}" in:\n${w.create.stdout}`);
  const entries = execFileSync("tar", ["tzf", w.archive], { encoding: "utf8" }).split("\n");
  for (
    const e of [
      "dependencies/python/manifest.json",
      "dependencies/python/requirements.txt",
      "dependencies/python/packages/gamma_src-0.3.tar.gz",
      "dependencies/nodejs/manifest.json",
      "dependencies/nodejs/projects/web/package-lock.json",
      "restore-scripts/setup-python.sh",
      "restore-scripts/setup-nodejs.sh",
    ]
  ) assert.ok(entries.includes(e), `archive lacks ${e}`);
  assertNoCanary("archive", gunzipSync(readFileSync(w.archive)).toString("latin1"));
  assertNoCanary("create output", w.create.stdout + w.create.stderr);
  assertNoCanary("create log", readFileSync(join(w.dir, "create.log"), "utf8"));

  const verify = await runBinary(["archive", "verify", w.archive]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);

  const requests = w.servers.pypi.log.length + w.servers.npm.log.length;
  const out = join(w.dir, "restored");
  const restore = await runBinary(["archive", "restore", w.archive, "--output", out], { withNode: true });
  assert.equal(restore.code, 0, restore.stdout + restore.stderr);
  for (
    const line of [
      "🔧 Step 4/5: Installing dependencies...",
      "   Python: Installing from offline cache...",
      "      ✓ Installed 3 packages",
      "   Node.js: Installing from offline cache...",
      "      ✓ Installed 4 packages",
      "   ✓ Dependencies installed",
    ]
  ) assert.ok(restore.stdout.includes(line), `missing "${line}" in:\n${restore.stdout}`);
  const repo = join(out, "shop");
  const py = execFileSync(join(repo, ".venv/bin/python"), [
    "-c",
    "import alpha, beta, gamma; print(gamma.VALUE)",
  ], {
    encoding: "utf8",
  });
  assert.equal(py.trim(), "gamma-src==0.3");
  const js = execFileSync("node", [
    "-e",
    "for (const m of ['top','mid','leaf','@acme/util']) console.log(require(m))",
  ], {
    cwd: join(repo, "web"),
    encoding: "utf8",
  });
  assert.equal(js.trim(), "top@1.0.0\nmid@1.0.0\nleaf@1.0.0\n@acme/util@1.0.0");
  assert.equal(w.servers.pypi.log.length + w.servers.npm.log.length, requests, "restore sent no request");
});

Deno.test("e2e deps: a restore host without npm says so; the repository is still restored", async () => {
  const w = await getWorld();
  const out = join(w.dir, "restored-no-node");
  const r = await runBinary(["archive", "restore", w.archive, "--output", out]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /✓ Installed 3 packages/);
  assert.match(
    r.stdout,
    /⚠ Warning: Could not install dependencies: npm is not installed on this host: install Node\.js with npm\. The repository itself was restored/,
  );
  assert.match(r.stdout, /⚠ Dependencies not installed for: Node\.js/);
  assert.equal(
    execFileSync("git", ["-C", join(out, "shop"), "rev-parse", "--is-inside-work-tree"], { encoding: "utf8" })
      .trim(),
    "true",
  );
});

Deno.test("e2e deps: a corrupted package inside the archive fails verify (exit 3), naming the file", async () => {
  const w = await getWorld();
  const target = "dependencies/python/packages/alpha-1.0-py3-none-any.whl";
  const tar = gunzipSync(readFileSync(w.archive));
  flipByteInEntry(tar, target);
  const bad = join(w.dir, "corrupted.tar.gz");
  writeFileSync(bad, gzipSync(tar));
  const r = await runBinary(["archive", "verify", bad]);
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.ok((r.stdout + r.stderr).includes(target), r.stdout + r.stderr);
  const restore = await runBinary(["archive", "restore", bad, "--output", join(w.dir, "never")], {
    withNode: true,
  });
  assert.equal(restore.code, 3, restore.stdout + restore.stderr);
});

/** Flips one byte of `path`'s data in a ustar/pax tar held in memory. */
function flipByteInEntry(tar: Buffer, path: string): void {
  let off = 0;
  let paxPath: string | undefined;
  for (let n = 0; n < 100_000 && off + 512 <= tar.length; n++) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, b: number) => h.subarray(a, b).toString("utf8").replace(/\0.*$/s, "");
    const size = parseInt(str(124, 136).trim() || "0", 8);
    const type = str(156, 157);
    const prefix = str(345, 500);
    const name = paxPath ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    const data = off + 512;
    if (type === "x") {
      paxPath = /\d+ path=([^\n]+)\n/.exec(tar.subarray(data, data + size).toString("utf8"))?.[1];
    } else {
      paxPath = undefined;
      if (name === path) {
        tar[data + Math.floor(size / 2)] ^= 0x01;
        return;
      }
    }
    off = data + Math.ceil(size / 512) * 512;
  }
  throw new Error(`entry ${path} not found in the archive`);
}

Deno.test("e2e deps: registry down gives a warning and a valid archive; --strict-dependencies exits 1", async () => {
  const w = await getWorld();
  const out = join(w.dir, "down");
  const ok = await runBinary(["archive", "create", w.work, "--output", out], { withNode: true, env: w.env });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /⚠ Warning: Could not fetch dependencies: NetworkError: cannot reach index/);
  assert.match(ok.stdout, /⚠ Warning: Could not fetch dependencies: NetworkError: cannot reach registry/);
  const archive = join(out, readdirSync(out).find((n) => n.endsWith(".tar.gz"))!);
  const verify = await runBinary(["archive", "verify", archive]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  const manifest = JSON.parse(
    spawnSync("tar", ["xzf", archive, "-O", "manifest.json"], { encoding: "utf8" }).stdout,
  ) as { dependencies: Record<string, { status: string; reason: string }> };
  assert.equal(manifest.dependencies.python.status, "missing");
  assert.match(manifest.dependencies.nodejs.reason, /^NetworkError/);

  const strictOut = join(w.dir, "strict");
  const strict = await runBinary([
    "archive",
    "create",
    w.work,
    "--output",
    strictOut,
    "--strict-dependencies",
  ], {
    withNode: true,
    env: w.env,
  });
  assert.equal(strict.code, 1, strict.stdout + strict.stderr);
  assert.match(
    strict.stderr + strict.stdout,
    /Cannot fetch Python dependencies: NetworkError: cannot reach index/,
  );
  const left = existsSync(strictOut) ? readdirSync(strictOut) : [];
  assert.deepEqual(left.filter((f) => f.endsWith(".tar.gz")), [], "no archive in strict mode");
  for (const r of [ok, strict]) assertNoCanary("output", r.stdout + r.stderr);
});
