/**
 * Dependency integrity and targeting, with real pip/npm against the loopback servers: npm install
 * scripts stay off unless allowed; an sdist's build requirements travel with it so it builds offline;
 * pip's --python-version/--platform pass-through fetches wheels for another host and says clearly when
 * a package has none.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fetchDependencies, installDependencies } from "../src/deps/mod.ts";
import type { PythonManifest } from "../src/deps/manifests.ts";
import { tempDir } from "./support/binary.ts";
import { buildProjectRepo, clientEnv, type DepServers, startDepServers } from "./support/dep_fixtures.ts";

const OFFLINE_ENV = { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/root" };

let shared: Promise<{ dir: string; servers: DepServers }> | undefined;
function world() {
  shared ??= (async () => {
    const dir = tempDir("rc-deps-integrity-");
    return { dir, servers: await startDepServers(dir) };
  })();
  return shared;
}

Deno.test("npm install scripts run only with allowInstallScripts", async () => {
  const { dir, servers } = await world();
  const { bare, work } = await buildProjectRepo(dir, "hooks", {
    npmUrl: servers.npm.url,
    projects: [{ root: ".", npmDependencies: { hooked: "1.0.0" } }],
  });
  const depsDir = join(dir, "hooks-stage", "dependencies");
  const results = await fetchDependencies(bare, depsDir, {
    env: clientEnv(dir, { pypiUrl: servers.pypi.url, npmUrl: servers.npm.url }),
  });
  assert.deepEqual(results.map((r) => [r.ecosystem, r.status, r.packages]), [["nodejs", "included", 1]]);
  const restored = join(dir, "hooks-restored");
  execFileSync("git", ["clone", "-q", work, restored]);
  const marker = join(restored, "node_modules/hooked/installed.marker");

  const off = await installDependencies(restored, depsDir, { env: OFFLINE_ENV });
  assert.deepEqual(off.map((r) => r.status), ["included"]);
  assert.ok(existsSync(join(restored, "node_modules/hooked/index.js")));
  assert.ok(!existsSync(marker), "postinstall ran without allowInstallScripts");

  const on = await installDependencies(restored, depsDir, { env: OFFLINE_ENV, allowInstallScripts: true });
  assert.deepEqual(on.map((r) => r.status), ["included"]);
  assert.equal(readFileSync(marker, "utf8"), "ran");
});

Deno.test("an sdist's build requirements are carried and it builds offline", async () => {
  const { dir, servers } = await world();
  const { bare, work } = await buildProjectRepo(dir, "builder", {
    projects: [{ root: ".", files: { "requirements.txt": "eps-src==1.0\n" } }],
  });
  const depsDir = join(dir, "builder-stage", "dependencies");
  const results = await fetchDependencies(bare, depsDir, {
    env: clientEnv(dir, { pypiUrl: servers.pypi.url, npmUrl: servers.npm.url }),
  });
  assert.deepEqual(results.map((r) => [r.status, r.packages]), [["included", 1]]);
  const m = JSON.parse(readFileSync(join(depsDir, "python/manifest.json"), "utf8")) as PythonManifest;
  assert.deepEqual(m.packages.map((p) => [p.name, p.kind, p.role]), [
    ["buildhelper", "wheel", "build"],
    ["eps-src", "sdist", "runtime"],
  ]);
  assert.deepEqual(m.projects[0].packages, ["eps-src==1.0"]);
  const restored = join(dir, "builder-restored");
  execFileSync("git", ["clone", "-q", work, restored]);
  const installed = await installDependencies(restored, depsDir, { env: OFFLINE_ENV });
  assert.deepEqual(installed.map((r) => [r.status, r.reason ?? ""]), [["included", ""]]);
  const out = execFileSync(join(restored, ".venv/bin/python"), ["-c", "import eps; print(eps.VALUE)"], {
    encoding: "utf8",
  });
  assert.equal(out.trim(), "eps-src==1.0");
});

Deno.test("pip --python-version/--platform pass-through: wheels for another host, clear error without one", async () => {
  const { dir, servers } = await world();
  const env = clientEnv(dir, { pypiUrl: servers.pypi.url, npmUrl: servers.npm.url });
  const pip = { pythonVersion: "3.8", platforms: ["win_amd64"] };
  const ok = await buildProjectRepo(dir, "target-ok", {
    projects: [{ root: ".", files: { "requirements.txt": "alpha==1.0\n" } }],
  });
  const okDeps = join(dir, "target-ok-stage", "dependencies");
  const good = await fetchDependencies(ok.bare, okDeps, { env, pip });
  assert.deepEqual(good.map((r) => [r.status, r.packages]), [["included", 2]]);
  const m = JSON.parse(readFileSync(join(okDeps, "python/manifest.json"), "utf8")) as PythonManifest;
  assert.deepEqual(m.target, { python_version: "3.8", platforms: ["win_amd64"] });

  const bad = await buildProjectRepo(dir, "target-sdist", {
    projects: [{ root: ".", files: { "requirements.txt": "gamma-src==0.3\n" } }],
  });
  const res = await fetchDependencies(bad.bare, join(dir, "target-sdist-stage", "dependencies"), {
    env,
    pip,
  });
  assert.equal(res[0].status, "missing");
  assert.equal(
    res[0].reason,
    `package "gamma-src==0.3" was not found on index "${servers.pypi.url}" as a wheel for the target ` +
      "(--only-binary :all: with --python-version/--platform: a package with no matching wheel cannot be fetched)",
  );
});

Deno.test("integrity test servers stop", async () => {
  const { servers } = await world();
  await servers.close();
});
