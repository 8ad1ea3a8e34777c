/**
 * A monorepo with two Node.js projects (one lockfile without `resolved` URLs), one Python project, a
 * yarn-only project (reported unsupported) — and a second repository pinned by poetry.lock and uv.lock.
 * Real pip and npm fetch from the loopback servers; install runs offline after the servers stop.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fetchDependencies, installDependencies } from "../src/deps/mod.ts";
import type { PythonManifest } from "../src/deps/manifests.ts";
import { tempDir } from "./support/binary.ts";
import { buildProjectRepo, clientEnv, startDepServers } from "./support/dep_fixtures.ts";

const OFFLINE_ENV = { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/root" };

function requireAll(dir: string, modules: string[]): string {
  return execFileSync("node", ["-e", `for (const m of ${JSON.stringify(modules)}) console.log(require(m))`], {
    cwd: dir,
    encoding: "utf8",
  }).trim();
}

Deno.test("monorepo: two Node.js projects and one Python project, each installed offline in its own root", async () => {
  const dir = tempDir("rc-deps-mono-");
  const servers = await startDepServers(dir);
  const events: string[] = [];
  const stage = join(dir, "stage");
  const depsDir = join(stage, "dependencies");
  let work = "";
  let results;
  try {
    const repo = await buildProjectRepo(dir, "mono", {
      npmUrl: servers.npm.url,
      projects: [
        { root: "services/api", files: { "requirements.txt": "alpha==1.0\n", "app.py": "import alpha\n" } },
        { root: "web", npmDependencies: { top: "^1.0.0", "@acme/util": "1.0.0" } },
        { root: "tools/cli", npmDependencies: { solo: "2.1.0" }, omitResolved: true },
        {
          root: "legacy",
          files: { "package.json": '{"name":"legacy"}', "yarn.lock": "# yarn lockfile v1\n" },
        },
        { root: "docs", files: { "pyproject.toml": "[tool.black]\nline-length = 100\n" } },
      ],
    });
    work = repo.work;
    results = await fetchDependencies(repo.bare, depsDir, {
      env: clientEnv(dir, { pypiUrl: servers.pypi.url, npmUrl: servers.npm.url }),
      progress: (e) => events.push(`${e.label}|${e.phase}|${e.message}`),
    });
  } finally {
    await servers.close();
  }
  assert.deepEqual(
    results.map((r) => [r.ecosystem, r.status, r.packages, r.projects]),
    [["python", "included", 2, ["services/api"]], ["nodejs", "included", 5, ["tools/cli", "web"]]],
  );
  assert.equal(events[0], "|start|Found 2 language(s): Python, Node.js");
  assert.ok(
    events.some((e) => /^Node\.js\|warning\|unsupported lockfile "legacy\/yarn\.lock"/.test(e)),
    events.join("\n"),
  );
  assert.match(results[1].reason ?? "", /legacy\/yarn\.lock/);
  for (
    const f of [
      "python/projects/services/api/requirements.txt",
      "nodejs/projects/web/package-lock.json",
      "nodejs/projects/tools/cli/package-lock.json",
    ]
  ) assert.ok(existsSync(join(depsDir, f)), f);
  assert.ok(!existsSync(join(depsDir, "python/requirements.txt")), "no top-level Python project");

  const restored = join(dir, "restored");
  execFileSync("git", ["clone", "-q", work, restored]);
  const installed = await installDependencies(restored, depsDir, { env: OFFLINE_ENV });
  assert.deepEqual(installed.map((r) => [r.ecosystem, r.status, r.packages]), [["python", "included", 2], [
    "nodejs",
    "included",
    5,
  ]]);
  const py = execFileSync(join(restored, "services/api/.venv/bin/python"), [
    "-c",
    "import alpha, beta; print(alpha.VALUE, beta.VALUE)",
  ], { encoding: "utf8" });
  assert.equal(py.trim(), "alpha==1.0 beta==1.2");
  assert.equal(
    requireAll(join(restored, "web"), ["top", "mid", "leaf", "@acme/util"]),
    [
      "top@1.0.0",
      "mid@1.0.0",
      "leaf@1.0.0",
      "@acme/util@1.0.0",
    ].join("\n"),
  );
  assert.equal(requireAll(join(restored, "tools/cli"), ["solo"]), "solo@2.1.0");
  assert.ok(!existsSync(join(restored, ".venv")), "no venv at the top: it has no Python project");
});

Deno.test("poetry.lock and uv.lock are exported to hash-pinned requirements and installed offline", async () => {
  const dir = tempDir("rc-deps-locks-");
  const servers = await startDepServers(dir);
  const sha = (f: string) => createHash("sha256").update(readFileSync(join(servers.pyDir, f))).digest("hex");
  const poetryLock = [
    "[[package]]",
    'name = "delta"',
    'version = "2.0"',
    'description = ""',
    "optional = false",
    'python-versions = "*"',
    `files = [{file = "delta-2.0-py3-none-any.whl", hash = "sha256:${sha("delta-2.0-py3-none-any.whl")}"}]`,
    "",
    "[metadata]",
    'lock-version = "2.0"',
    'python-versions = "^3.8"',
    'content-hash = "0"',
    "",
  ].join("\n");
  const uvLock = [
    "version = 1",
    'requires-python = ">=3.8"',
    "",
    "[[package]]",
    'name = "svc"',
    'version = "0.1.0"',
    'source = { editable = "." }',
    "",
    "[[package]]",
    'name = "gamma-src"',
    'version = "0.3"',
    'source = { registry = "https://pypi.org/simple" }',
    `sdist = { url = "https://example.invalid/gamma_src-0.3.tar.gz", hash = "sha256:${
      sha("gamma_src-0.3.tar.gz")
    }", size = 1 }`,
    "",
  ].join("\n");
  const depsDir = join(dir, "stage", "dependencies");
  let work = "";
  let results;
  try {
    const repo = await buildProjectRepo(dir, "locks", {
      projects: [
        {
          root: "poetry-app",
          files: { "pyproject.toml": "[tool.poetry]\nname = 'p'\n", "poetry.lock": poetryLock },
        },
        {
          root: "uv-app",
          files: { "pyproject.toml": "[project]\nname = 'svc'\ndependencies = []\n", "uv.lock": uvLock },
        },
      ],
    });
    work = repo.work;
    results = await fetchDependencies(repo.bare, depsDir, {
      env: clientEnv(dir, { pypiUrl: servers.pypi.url, npmUrl: servers.npm.url }),
    });
  } finally {
    await servers.close();
  }
  assert.deepEqual(results.map((r) => [r.ecosystem, r.status, r.packages]), [["python", "included", 2]]);
  const manifest = JSON.parse(readFileSync(join(depsDir, "python/manifest.json"), "utf8")) as PythonManifest;
  assert.deepEqual(manifest.projects.map((p) => [p.root, p.sources, p.packages]), [
    ["poetry-app", ["poetry-app/poetry.lock", "poetry-app/pyproject.toml"], ["delta==2.0"]],
    ["uv-app", ["uv-app/uv.lock", "uv-app/pyproject.toml"], ["gamma-src==0.3"]],
  ]);
  const restored = join(dir, "restored");
  execFileSync("git", ["clone", "-q", work, restored]);
  const installed = await installDependencies(restored, depsDir, { env: OFFLINE_ENV });
  assert.deepEqual(installed.map((r) => [r.status, r.packages]), [["included", 2]]);
  const out = (root: string, code: string) =>
    execFileSync(join(restored, root, ".venv/bin/python"), ["-c", code], { encoding: "utf8" }).trim();
  assert.equal(out("poetry-app", "import delta; print(delta.VALUE)"), "delta==2.0");
  assert.equal(out("uv-app", "import gamma; print(gamma.VALUE)"), "gamma-src==0.3");
});
