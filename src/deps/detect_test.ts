import assert from "node:assert/strict";
import { detectProjects } from "./detect.ts";
import { cacheContentPaths, classifyNpmFailure, lockPackages, nerfDart } from "./_npm.ts";
import { classifyPipFailure, targetArgs } from "./_pip.ts";
import { nodeSetupScript, pythonSetupScript } from "./setup_scripts.ts";

Deno.test("detectProjects() finds every root and reports unsupported lockfiles", async (t) => {
  await t.step("a single top-level project of each kind", () => {
    const d = detectProjects([
      "requirements.txt",
      "requirements-dev.txt",
      "package.json",
      "package-lock.json",
      "src/a.py",
    ]);
    assert.deepEqual(d.python, [{
      root: ".",
      source: "requirements",
      files: ["requirements-dev.txt", "requirements.txt"],
    }]);
    assert.deepEqual(d.nodejs, [{
      root: ".",
      lockfile: "package-lock.json",
      files: ["package.json", "package-lock.json"],
    }]);
    assert.deepEqual(d.unsupported, []);
  });
  await t.step("locks win over requirements, shrinkwrap over package-lock", () => {
    const d = detectProjects([
      "a/poetry.lock",
      "a/pyproject.toml",
      "a/requirements.txt",
      "b/uv.lock",
      "c/pyproject.toml",
      "w/package.json",
      "w/package-lock.json",
      "w/npm-shrinkwrap.json",
      "w/.npmrc",
    ]);
    assert.deepEqual(d.python.map((p) => [p.root, p.source, p.files]), [
      ["a", "poetry", ["a/poetry.lock", "a/pyproject.toml"]],
      ["b", "uv", ["b/uv.lock"]],
      ["c", "pep621", ["c/pyproject.toml"]],
    ]);
    assert.deepEqual(d.nodejs, [{
      root: "w",
      lockfile: "w/npm-shrinkwrap.json",
      files: ["w/package.json", "w/npm-shrinkwrap.json", "w/.npmrc"],
    }]);
  });
  await t.step("npm workspaces are one root; their package.json files come along", () => {
    const d = detectProjects([
      "package.json",
      "package-lock.json",
      "packages/x/package.json",
      "packages/y/package.json",
    ]);
    assert.deepEqual(d.nodejs[0].files, [
      "package.json",
      "packages/x/package.json",
      "packages/y/package.json",
      "package-lock.json",
    ]);
    assert.deepEqual(d.unsupported, []);
  });
  await t.step("yarn, pnpm, Pipfile.lock and lockless package.json are reported, not skipped", () => {
    const d = detectProjects([
      "y/package.json",
      "y/yarn.lock",
      "p/pnpm-lock.yaml",
      "p/package.json",
      "loose/package.json",
      "old/Pipfile.lock",
    ]);
    assert.deepEqual(d.unsupported.map((u) => [u.ecosystem, u.file]), [
      ["python", "old/Pipfile.lock"],
      ["nodejs", "p/pnpm-lock.yaml"],
      ["nodejs", "y/yarn.lock"],
      ["nodejs", "loose/package.json"],
    ]);
    assert.match(d.unsupported[2].reason, /^unsupported lockfile "y\/yarn\.lock"/);
  });
  await t.step("installed trees are never roots", () => {
    const d = detectProjects([
      "node_modules/x/package.json",
      "node_modules/x/package-lock.json",
      ".venv/lib/requirements.txt",
    ]);
    assert.deepEqual(d, { python: [], nodejs: [], unsupported: [] });
  });
});

Deno.test("lockPackages() reads v1 and v3 lockfiles", () => {
  const v3 = lockPackages({
    lockfileVersion: 3,
    packages: {
      "": { name: "app" },
      "node_modules/a": { version: "1.0.0", integrity: "sha512-AAAA", license: "MIT" },
      "node_modules/a/node_modules/b": { version: "2.0.0", integrity: "sha512-BBBB", optional: true },
      "node_modules/ws": { resolved: "packages/ws", link: true },
      "node_modules/g": { version: "git+ssh://git@host/g.git#abc", resolved: "git+ssh://git@host/g.git#abc" },
      "node_modules/al": { name: "real", version: "3.0.0", integrity: "sha512-CCCC" },
    },
  });
  assert.deepEqual(v3.map((p) => [p.name, p.version, p.optional, p.uncarried ?? null]), [
    ["a", "1.0.0", false, null],
    ["b", "2.0.0", true, null],
    ["g", "git+ssh://git@host/g.git#abc", false, "git dependency"],
    ["real", "3.0.0", false, null],
  ]);
  const v1 = lockPackages({
    lockfileVersion: 1,
    dependencies: {
      a: {
        version: "1.0.0",
        integrity: "sha1-xx",
        dependencies: { b: { version: "2.0.0", integrity: "sha1-yy" } },
      },
    },
  });
  assert.deepEqual(v1.map((p) => [p.key, p.name]), [["node_modules/a", "a"], [
    "node_modules/a/node_modules/b",
    "b",
  ]]);
});

Deno.test("cacheContentPaths() and nerfDart() match npm's layout", () => {
  const hex = "0123456789abcdef".repeat(8);
  const b64 = Buffer.from(hex, "hex").toString("base64");
  assert.deepEqual(cacheContentPaths(`sha512-${b64} sha1-AAAA`).slice(0, 1), [
    `_cacache/content-v2/sha512/01/23/${hex.slice(4)}`,
  ]);
  assert.equal(nerfDart("https://reg.example/npm"), "//reg.example/npm/");
  assert.equal(nerfDart("http://127.0.0.1:4873/"), "//127.0.0.1:4873/");
});

Deno.test("classifyPipFailure() and classifyNpmFailure() name the cause", () => {
  const idx = "http://127.0.0.1:5/simple/";
  const auth = classifyPipFailure([
    `Could not fetch URL ${idx}alpha/: 401 Client Error: Unauthorized for url: ${idx}alpha/ - skipping`,
  ], [idx]);
  assert.equal(auth.kind, "auth");
  assert.equal(auth.exitCode, 5);
  assert.match(
    auth.message,
    /index "http:\/\/127\.0\.0\.1:5\/simple\/" rejected the credentials \(HTTP 401\)/,
  );
  const missing = classifyPipFailure(["ERROR: No matching distribution found for nosuch==1.0"], [idx]);
  assert.equal(missing.message, `package "nosuch==1.0" was not found on index "${idx}"`);
  const npm404 = classifyNpmFailure([
    "npm error code E404",
    "npm error 404 Not Found - GET http://r/@acme%2fgone - Not found",
  ], "http://r/");
  assert.equal(npm404.message, 'package "@acme/gone" was not found on registry "http://r/"');
  assert.equal(classifyNpmFailure(["npm error code E401"], "http://r/").kind, "auth");
});

Deno.test("targetArgs() passes pip's target flags through, binary-only when restricted", () => {
  assert.deepEqual(targetArgs({}), []);
  assert.deepEqual(targetArgs({ pythonVersion: "3.9", platforms: ["manylinux2014_x86_64"] }), [
    "--python-version",
    "3.9",
    "--platform",
    "manylinux2014_x86_64",
    "--only-binary",
    ":all:",
  ]);
  assert.deepEqual(targetArgs({ onlyBinary: "numpy" }), ["--only-binary", "numpy"]);
});

Deno.test("setup scripts quote project roots and stay offline", () => {
  const py = pythonSetupScript({
    format_version: 1,
    ecosystem: "python",
    index_urls: [],
    target: {},
    packages: [],
    projects: [{
      root: "it's",
      sources: [],
      requirements: "projects/it's/requirements.txt",
      packages: ["a==1"],
      skipped: [],
    }],
  });
  assert.match(py, /^install 'it'\\''s' 'projects\/it'\\''s\/requirements\.txt' 1$/m);
  assert.match(py, /--no-index/);
  assert.match(py, /--require-hashes/);
  const node = nodeSetupScript({
    format_version: 1,
    ecosystem: "nodejs",
    registry: "http://r/",
    cache: "npm-cache",
    projects: [],
    packages: [],
  });
  assert.match(node, /npm ci --offline/);
  assert.match(node, /SCRIPTS=--ignore-scripts/);
});
