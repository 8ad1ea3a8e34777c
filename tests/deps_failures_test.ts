/**
 * Dependency failures, each with real pip/npm and real loopback servers: registry down, unknown
 * package, bad credentials (the CANARY as the wrong token: it must appear nowhere), and an air-gapped
 * host lacking python3 or npm.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { DependencyError, fetchDependencies, installDependencies } from "../src/deps/mod.ts";
import { Logger } from "../src/log/logger.ts";
import { listFiles } from "../src/deps/_fs.ts";
import { CANARY, tempDir } from "./support/binary.ts";
import { assertNoCanary } from "./support/canary.ts";
import { buildProjectRepo, clientEnv, type ProjectSpec, startDepServers } from "./support/dep_fixtures.ts";

const BOTH: ProjectSpec[] = [{
  root: ".",
  files: { "requirements.txt": "alpha==1.0\n" },
  npmDependencies: { top: "^1.0.0", "@acme/util": "1.0.0" },
}];

function collect() {
  const events: string[] = [];
  return {
    events,
    progress: (e: { label: string; phase: string; message: string }) =>
      events.push(`${e.label}|${e.phase}|${e.message}`),
  };
}

Deno.test("registry down: warning, ecosystem missing, nothing half-written; strict throws (exit 1)", async () => {
  const dir = tempDir("rc-deps-down-");
  const servers = await startDepServers(dir);
  const { bare } = await buildProjectRepo(dir, "app", { npmUrl: servers.npm.url, projects: BOTH });
  await servers.close();
  const env = clientEnv(dir, { pypiUrl: servers.pypi.url, npmUrl: servers.npm.url });
  const depsDir = join(dir, "stage", "dependencies");
  mkdirSync(depsDir, { recursive: true });
  const { events, progress } = collect();
  const results = await fetchDependencies(bare, depsDir, { env, progress });
  assert.deepEqual(results.map((r) => [r.ecosystem, r.status, r.packages, r.files]), [
    ["python", "missing", 0, []],
    ["nodejs", "missing", 0, []],
  ]);
  assert.match(
    results[0].reason!,
    new RegExp(`^NetworkError: cannot reach index "${servers.pypi.url}" \\(connection refused\\)`),
  );
  assert.match(
    results[1].reason!,
    /^NetworkError: cannot reach registry "http:\/\/127\.0\.0\.1:\d+\/" \(ECONNREFUSED\)/,
  );
  assert.ok(
    events.includes(`Python|warning|Could not fetch dependencies: ${results[0].reason}`),
    events.join("\n"),
  );
  assert.ok(
    events.includes(`Node.js|warning|Could not fetch dependencies: ${results[1].reason}`),
    events.join("\n"),
  );
  assert.deepEqual(listFiles(join(dir, "stage")), [], "no partial dependency files or setup scripts");

  await assert.rejects(fetchDependencies(bare, depsDir, { env, strict: true }), (e: unknown) => {
    assert.ok(e instanceof DependencyError);
    assert.equal(e.exitCode, 1);
    assert.match(e.message, /^Cannot fetch Python dependencies: NetworkError: cannot reach index/);
    return true;
  });
});

Deno.test("unknown package: the message names the package and the index or registry", async () => {
  const dir = tempDir("rc-deps-unknown-");
  const full = await startDepServers(join(dir, "full"));
  const { bare } = await buildProjectRepo(dir, "app", {
    npmUrl: full.npm.url,
    projects: [{
      root: ".",
      files: { "requirements.txt": "alpha==1.0\ndelta==2.0\n" },
      npmDependencies: { top: "^1.0.0" },
      omitResolved: true,
    }],
  });
  await full.close();
  const servers = await startDepServers(join(dir, "partial"), { without: ["delta", "leaf"] });
  try {
    const env = clientEnv(dir, { pypiUrl: servers.pypi.url, npmUrl: servers.npm.url });
    const results = await fetchDependencies(bare, join(dir, "stage", "dependencies"), { env });
    assert.deepEqual(results.map((r) => r.status), ["missing", "missing"]);
    assert.equal(results[0].reason, `package "delta==2.0" was not found on index "${servers.pypi.url}"`);
    assert.match(
      results[1].reason!,
      new RegExp(`^package "leaf(@1\\.0\\.0)?" was not found on registry "${servers.npm.url}"`),
    );
  } finally {
    await servers.close();
  }
});

Deno.test("bad credentials: the message names the index/registry, the token shows nowhere; strict exits 5", async () => {
  const dir = tempDir("rc-deps-auth-");
  const servers = await startDepServers(dir, {
    pyAuth: { username: "ci", password: "right-pass" },
    npmToken: "right-token",
  });
  try {
    const { bare } = await buildProjectRepo(dir, "app", {
      npmUrl: servers.npm.url,
      npmToken: "right-token",
      projects: BOTH,
    });
    const env = clientEnv(dir, { pypiUrl: servers.pypi.url, npmUrl: servers.npm.url }, {
      PYPI_USERNAME: "ci",
      PYPI_PASSWORD: CANARY,
      NPM_TOKEN: CANARY,
    });
    const logFile = join(dir, "log.jsonl");
    const logger = new Logger({ sessionId: "archive-auth", file: logFile, level: "DEBUG" }).child("deps");
    const { events, progress } = collect();
    const stage = join(dir, "stage");
    const results = await fetchDependencies(bare, join(stage, "dependencies"), { env, logger, progress });
    assert.deepEqual(results.map((r) => r.status), ["missing", "missing"]);
    assert.match(
      results[0].reason!,
      new RegExp(`^AuthenticationError: index "${servers.pypi.url}" rejected the credentials \\(HTTP 401\\)`),
    );
    assert.match(
      results[1].reason!,
      new RegExp(
        `^AuthenticationError: registry "${servers.npm.url}" rejected the credentials \\(HTTP 401\\)`,
      ),
    );
    assert.ok(
      servers.pypi.log.some((l) => l.status === 401 && l.user === "ci"),
      "pip sent the netrc credentials",
    );
    let strictMessage = "";
    await assert.rejects(
      fetchDependencies(bare, join(stage, "dependencies"), { env, logger, strict: true }),
      (e: unknown) => {
        assert.ok(e instanceof DependencyError);
        assert.equal(e.exitCode, 5);
        strictMessage = e.message;
        return true;
      },
    );
    const outputs = [
      JSON.stringify(results),
      events.join("\n"),
      readFileSync(logFile, "utf8"),
      strictMessage,
    ];
    for (const f of listFiles(stage)) outputs.push(readFileSync(join(stage, f), "latin1"));
    assertNoCanary(outputs);
  } finally {
    await servers.close();
  }
});

/** A PATH directory holding only the named programs (resolved to real binaries, not shims). */
function pathWith(dir: string, programs: Record<string, string>): string {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  for (const [name, target] of Object.entries(programs)) symlinkSync(target, join(bin, name));
  return bin;
}

Deno.test("air-gapped host lacking python3 or npm: says which tool is missing and that the repository was restored", async () => {
  const dir = tempDir("rc-deps-notools-");
  const servers = await startDepServers(dir);
  const depsDir = join(dir, "stage", "dependencies");
  let work = "";
  try {
    const repo = await buildProjectRepo(dir, "app", { npmUrl: servers.npm.url, projects: BOTH });
    work = repo.work;
    const results = await fetchDependencies(repo.bare, depsDir, {
      env: clientEnv(dir, { pypiUrl: servers.pypi.url, npmUrl: servers.npm.url }),
    });
    assert.deepEqual(results.map((r) => r.status), ["included", "included"]);
  } finally {
    await servers.close();
  }
  const restored = join(dir, "restored");
  execFileSync("git", ["clone", "-q", work, restored]);
  const python = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" })
    .trim();

  const { events, progress } = collect();
  const none = await installDependencies(restored, depsDir, {
    env: { PATH: pathWith(join(dir, "none"), {}) },
    progress,
  });
  assert.deepEqual(none.map((r) => [r.ecosystem, r.status]), [["python", "missing"], ["nodejs", "missing"]]);
  assert.match(
    none[0].reason!,
    /^python3 is not installed on this host: install python3 .*The repository itself was restored to ".*restored"/,
  );
  assert.match(
    none[1].reason!,
    /^npm is not installed on this host: install Node\.js with npm\. The repository itself was restored/,
  );
  assert.ok(
    events.some((e) =>
      e.startsWith("Python|warning|Could not install dependencies: python3 is not installed")
    ),
  );

  const onlyPython = await installDependencies(restored, depsDir, {
    env: { PATH: pathWith(join(dir, "py"), { python3: python }), HOME: process.env.HOME ?? "/root" },
  });
  assert.deepEqual(onlyPython.map((r) => [r.ecosystem, r.status, r.packages]), [["python", "included", 2], [
    "nodejs",
    "missing",
    0,
  ]]);
  assert.match(onlyPython[1].reason!, /^npm is not installed on this host/);
  assert.ok(existsSync(join(restored, ".venv/bin/python")));
  assert.ok(!existsSync(join(restored, "node_modules")));
});
