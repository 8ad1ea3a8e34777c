/**
 * Dependencies across the air gap, library level: real pip and npm fetch from a PEP 503 index and an
 * npm registry on loopback (both requiring credentials: the CANARY token), then — with both servers
 * stopped — install offline into the restored repository and import/require every package.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fetchDependencies, installDependencies } from "../src/deps/mod.ts";
import type { NodeManifest, PythonManifest } from "../src/deps/manifests.ts";
import type { EcosystemResult } from "../src/deps/types.ts";
import { Logger } from "../src/log/logger.ts";
import { listFiles } from "../src/deps/_fs.ts";
import { CANARY, tempDir } from "./support/binary.ts";
import { canaryForms } from "./support/canary.ts";
import { buildProjectRepo, clientEnv, startDepServers } from "./support/dep_fixtures.ts";

const REQS = "alpha==1.0\ngamma-src==0.3\n";

/** Everything the run printed or wrote must be free of the token. */
function assertNoCanary(where: string, text: string): void {
  for (const form of canaryForms()) assert.ok(!text.includes(form), `token leaked into ${where}`);
}

function read(path: string): string {
  return readFileSync(path, "utf8");
}

Deno.test("fetchDependencies() carries a Python + Node.js repository and installDependencies() installs it offline", async (t) => {
  const dir = tempDir("rc-deps-rt-");
  const servers = await startDepServers(dir, {
    pyAuth: { username: "ci", password: CANARY },
    npmToken: CANARY,
  });
  const { bare, work } = await buildProjectRepo(dir, "app", {
    npmUrl: servers.npm.url,
    npmToken: CANARY,
    projects: [{
      root: ".",
      files: { "requirements.txt": REQS },
      npmDependencies: { top: "^1.0.0", "@acme/util": "1.0.0" },
    }],
  });
  const env = clientEnv(dir, { pypiUrl: servers.pypi.url, npmUrl: servers.npm.url }, {
    PYPI_USERNAME: "ci",
    PYPI_PASSWORD: CANARY,
    NPM_TOKEN: CANARY,
  });
  const logFile = join(dir, "log.jsonl");
  const logger = new Logger({ sessionId: "archive-test", file: logFile, level: "DEBUG" }).child("deps");
  const events: string[] = [];
  const stage = join(dir, "stage");
  const depsDir = join(stage, "dependencies");
  let results: EcosystemResult[] = [];
  try {
    await t.step("fetch", async () => {
      results = await fetchDependencies(bare, depsDir, {
        env,
        logger,
        progress: (e) => events.push(`${e.label}|${e.phase}|${e.message}`),
      });
    });
  } finally {
    await servers.close();
  }

  await t.step("results, progress lines and layout follow the spec", () => {
    assert.deepEqual(results.map((r) => [r.ecosystem, r.status, r.packages]), [["python", "included", 3], [
      "nodejs",
      "included",
      4,
    ]]);
    assert.deepEqual(events, [
      "|start|Found 2 language(s): Python, Node.js",
      `Python|start|Fetching from PyPI index ${servers.pypi.url}...`,
      "Python|done|Fetched 3 packages",
      "Node.js|start|Fetching from npm...",
      "Node.js|done|Fetched 4 packages",
    ]);
    for (
      const f of [
        "python/manifest.json",
        "python/requirements.txt",
        "nodejs/manifest.json",
        "nodejs/package-lock.json",
      ]
    ) {
      assert.ok(existsSync(join(depsDir, f)), f);
    }
    assert.ok(existsSync(join(stage, "restore-scripts/setup-python.sh")));
    assert.ok(existsSync(join(stage, "restore-scripts/setup-nodejs.sh")));
    const listed = results.flatMap((r) => r.files).sort();
    const onDisk = [
      ...listFiles(depsDir).map((f) => `dependencies/${f}`),
      ...listFiles(join(stage, "restore-scripts")).map((f) => `restore-scripts/${f}`),
    ].sort();
    assert.deepEqual(listed, onDisk);
  });

  await t.step("per-ecosystem manifests list name, version, file, sha256 and licence", () => {
    const py = JSON.parse(read(join(depsDir, "python/manifest.json"))) as PythonManifest;
    const byName = Object.fromEntries(py.packages.map((p) => [p.name, p]));
    assert.deepEqual(Object.keys(byName).sort(), ["alpha", "beta", "gamma-src"]);
    assert.equal(byName.alpha.license, "MIT");
    assert.equal(byName["gamma-src"].kind, "sdist");
    assert.equal(byName.beta.version, "1.2");
    for (const p of py.packages) {
      const sha =
        execFileSync("sha256sum", [join(depsDir, "python", p.filename)], { encoding: "utf8" }).split(" ")[0];
      assert.equal(p.sha256, sha, p.filename);
    }
    assert.match(read(join(depsDir, "python/requirements.txt")), /^beta==1\.2 --hash=sha256:[0-9a-f]{64}$/m);
    const node = JSON.parse(read(join(depsDir, "nodejs/manifest.json"))) as NodeManifest;
    assert.deepEqual(node.packages.map((p) => `${p.name}@${p.version}`), [
      "@acme/util@1.0.0",
      "leaf@1.0.0",
      "mid@1.0.0",
      "top@1.0.0",
    ]);
    assert.equal(node.packages[0].license, "MIT");
    assert.equal(node.registry, servers.npm.url);
    for (const p of node.packages) {
      const sha =
        execFileSync("sha256sum", [join(depsDir, "nodejs", p.filename)], { encoding: "utf8" }).split(" ")[0];
      assert.equal(p.sha256, sha, p.filename);
    }
  });

  await t.step("the token is in no file, progress line or log line", () => {
    for (const f of listFiles(stage)) assertNoCanary(f, readFileSync(join(stage, f)).toString("latin1"));
    assertNoCanary("progress", events.join("\n"));
    assertNoCanary("log", read(logFile));
    assertNoCanary("results", JSON.stringify(results));
  });

  await t.step("offline install with both servers stopped: import and require every package", async () => {
    const before = servers.pypi.log.length + servers.npm.log.length;
    const restored = join(dir, "restored");
    execFileSync("git", ["clone", "-q", work, restored]);
    const installed = await installDependencies(restored, depsDir, {
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/root" },
      logger,
      progress: (e) => events.push(`${e.label}|${e.phase}|${e.message}`),
    });
    assert.deepEqual(installed.map((r) => [r.ecosystem, r.status, r.packages]), [["python", "included", 3], [
      "nodejs",
      "included",
      4,
    ]]);
    assert.deepEqual(events.slice(-4), [
      "Python|start|Installing from offline cache...",
      "Python|done|Installed 3 packages",
      "Node.js|start|Installing from offline cache...",
      "Node.js|done|Installed 4 packages",
    ]);
    const out = execFileSync(join(restored, ".venv/bin/python"), [
      "-c",
      "import alpha, beta, gamma; print(alpha.VALUE, beta.VALUE, gamma.VALUE)",
    ], { encoding: "utf8" });
    assert.equal(out.trim(), "alpha==1.0 beta==1.2 gamma-src==0.3");
    const js = execFileSync("node", [
      "-e",
      "for (const m of ['top','mid','leaf','@acme/util']) console.log(require(m), require.resolve(m))",
    ], { cwd: restored, encoding: "utf8" });
    assert.match(js, /top@1\.0\.0 .*node_modules\/top\/index\.js/);
    assert.match(js, /leaf@1\.0\.0 .*node_modules\/leaf\/index\.js/);
    assert.match(js, /@acme\/util@1\.0\.0/);
    assert.equal(servers.pypi.log.length + servers.npm.log.length, before, "no request reached a registry");
  });

  await t.step("the restore-scripts a person runs by hand install the same, offline", () => {
    const before = servers.pypi.log.length + servers.npm.log.length;
    const byHand = join(dir, "by-hand");
    execFileSync("git", ["clone", "-q", work, byHand]);
    const env = { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/root" };
    for (const script of ["setup-python.sh", "setup-nodejs.sh"]) {
      execFileSync("sh", [join(stage, "restore-scripts", script), byHand], { env, stdio: "pipe" });
    }
    const out = execFileSync(join(byHand, ".venv/bin/python"), [
      "-c",
      "import alpha, gamma; print(gamma.VALUE)",
    ], {
      encoding: "utf8",
    });
    assert.equal(out.trim(), "gamma-src==0.3");
    const js = execFileSync("node", ["-e", "console.log(require('leaf'), require('@acme/util'))"], {
      cwd: byHand,
      encoding: "utf8",
    });
    assert.equal(js.trim(), "leaf@1.0.0 @acme/util@1.0.0");
    assert.equal(servers.pypi.log.length + servers.npm.log.length, before, "no request reached a registry");
  });
});
