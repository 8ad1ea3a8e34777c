/**
 * Every command in docs/TROUBLESHOOTING.md, docs/LOGGING.md, docs/MONITORING.md and docs/WORKFLOWS.md that
 * reads a log with jq is run verbatim (`bash -o pipefail`) against real logs of the compiled binary, and
 * must return what the doc says it returns:
 * - `sync.log`: a scheduled sync (`--every 6s`, two cycles, then SIGTERM while waiting) where
 *   `user-service`'s first clone hangs past `timeout_per_repo_seconds` (one timeout, retried) and `broken`
 *   answers HTTP 500 every time (two retries per cycle, then failed);
 * - `archive.log`: an `archive create` whose Python dependencies cannot be fetched.
 * Each command's expectation is keyed by its exact text: a command added to a doc without one here, or an
 * expectation whose command left the docs, fails the test. The token checks of TROUBLESHOOTING.md run
 * against the forge emulator with a valid and a revoked token.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { git } from "../src/git/git.ts";
import { seedHistory } from "./support/forge_repos.ts";
import { type Forge, startForge } from "./support/forge.ts";
import { BINARY, CANARY, cleanPath, runBinary, tempDir } from "./support/binary.ts";
import { SOURCE_TOKEN } from "./support/sync_fixture.ts";
import { startPypiServer } from "./support/pypi_server.ts";
import { bashLines, type DocCommand, logCommands, runShell } from "./support/doc_commands.ts";

const DOCS = resolve(import.meta.dirname ?? ".", "../docs");
const FILES = ["TROUBLESHOOTING.md", "LOGGING.md", "MONITORING.md", "WORKFLOWS.md"].map((f) => join(DOCS, f));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Rec = Record<string, Json>;

/** The values a jq run printed (pretty or compact), one per element. */
function values(stdout: string): Json[] {
  const r = spawnSync("jq", ["-c", "."], { input: stdout, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

/** What each documented command must print, given the log's own records. */
const EXPECT: Record<string, (out: Json[], ctx: { log: Rec[]; archiveLog: Rec[] }) => void> = {
  // Failed repositories: per cycle the repository, the run summary and the "Sync cycle failed" line.
  "cat sync.log | jq 'select(.status == \"failure\") | .repository'": (out) =>
    assert.deepEqual(out, ["broken", null, null, "broken", null, null]),
  "cat sync.log | jq -s 'map(select(.message == \"Repository sync completed\")) | map(.duration_seconds) | add/length'":
    (out, { log }) => {
      const d = log.filter((r) => r.message === "Repository sync completed").map((r) =>
        r.duration_seconds as number
      );
      assert.equal(out.length, 1);
      assert.ok(Math.abs((out[0] as number) - d.reduce((a, b) => a + b, 0) / d.length) < 1e-9, String(out));
    },
  "cat sync.log | jq 'select(.retry_attempt) | {repository, retry_attempt, error}'": (out) => {
    assert.deepEqual(
      out.map((o) => `${(o as Rec).repository}#${(o as Rec).retry_attempt}`).sort(),
      ["broken#1", "broken#1", "broken#2", "broken#2", "user-service#1"],
    );
    assert.match(
      String((out.find((o) => (o as Rec).repository === "user-service") as Rec).error),
      /timeout/i,
    );
    for (const o of out.filter((o) => (o as Rec).repository === "broken")) {
      assert.match(String((o as Rec).error), /500/);
    }
  },
  "cat sync.log | jq 'select(.message | contains(\"timeout\"))'": (out) => {
    assert.ok(out.length >= 1, "the retried timeout is found");
    for (const o of out) {
      assert.equal((o as Rec).repository, "user-service");
      assert.match(String((o as Rec).message), /^Transient network error \(will retry\): Network timeout/);
    }
  },
  "jq 'select(.session_id == \"sync-20251013-153000\")' sync.log": (out, { log }) =>
    assert.equal(out.length, log.length, "one process, one session: every record"),
  "jq 'select(.logger == \"repo_cloner.log_shipper\")' sync.log": (out) =>
    assert.deepEqual(out, [], "no shipper configured, none failing"),
  "jq 'select(.logger == \"repo_cloner.notify\")' sync.log": (out) =>
    assert.deepEqual(out, [], "no notifier configured, none failing"),
  "jq 'select(.error_type == \"AuthenticationError\") | {timestamp, session_id, message}' sync.log": (out) =>
    assert.deepEqual(out, [], "no token was rejected"),
  "jq -s 'map(select(.retry_attempt)) | group_by(.repository) | map({repository: .[0].repository, retries: length, last_error: .[-1].error})' sync.log":
    (out) => {
      assert.equal(out.length, 1);
      const rows = out[0] as Rec[];
      assert.deepEqual(rows.map((r) => [r.repository, r.retries]), [["broken", 4], ["user-service", 1]]);
      assert.match(String(rows[0].last_error), /500/);
      assert.match(String(rows[1].last_error), /timeout/i);
    },
  "jq -c 'select(.level == \"ERROR\") | {timestamp, repository, error_type, message}' sync.log": (out) => {
    assert.deepEqual(
      out.map((o) => [(o as Rec).repository ?? null, (o as Rec).error_type, (o as Rec).message]),
      [
        ["broken", "NetworkError", "Repository sync failed"],
        [null, "PartialFailure", "Sync cycle failed"],
        ["broken", "NetworkError", "Repository sync failed"],
        [null, "PartialFailure", "Sync cycle failed"],
      ],
    );
  },
  "jq -s 'map(select(.message == \"Repository sync completed\")) | sort_by(-.duration_seconds) | .[:5] | map({repository, duration_seconds})' sync.log":
    (out, { log }) => {
      const rows = out[0] as Rec[];
      const completed = log.filter((r) => r.message === "Repository sync completed").length;
      assert.equal(rows.length, Math.min(5, completed));
      assert.equal(rows[0].repository, "user-service", "the timed-out attempt made it the slowest");
      assert.ok((rows[0].duration_seconds as number) >= 2);
      for (let i = 1; i < rows.length; i++) {
        assert.ok((rows[i - 1].duration_seconds as number) >= (rows[i].duration_seconds as number));
      }
    },
  "jq -c 'select(.message == \"Synchronization session completed\") | {cycle, status, successful, failed}' sync.log":
    (out) =>
      assert.deepEqual(out, [
        { cycle: 1, status: "failure", successful: 2, failed: 1 },
        { cycle: 2, status: "failure", successful: 2, failed: 1 },
      ]),
  "jq 'select(.message == \"Could not fetch dependencies\") | {ecosystem, error}' archive.log": (out) => {
    assert.equal(out.length, 1);
    assert.equal((out[0] as Rec).ecosystem, "python");
    assert.match(String((out[0] as Rec).error), /requests|distribution|version/i);
  },
};

function records(file: string): Rec[] {
  return existsSync(file)
    ? readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l))
    : [];
}

/** `sync --every 6s` until cycle 2 is done, then SIGTERM during the wait; returns the log path. */
async function scheduledSyncLog(dir: string, gl: Forge, gh: Forge): Promise<string> {
  const logFile = join(dir, "sync.log");
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    `sources:
  - { type: gitlab, url: "${gl.url}", token: "\${GITLAB_TOKEN}", groups: [backend] }
targets:
  - { type: github, url: "${gh.url}", organization: myorg, token: "\${GITHUB_TOKEN}" }
sync: { state_dir: "${join(dir, "state")}", cache_dir: "${join(dir, "cache")}" }
concurrency: { max_parallel: 1, max_retries: 2, retry_backoff_seconds: 0.05, timeout_per_repo_seconds: 2 }
`,
  );
  const child: ChildProcess = spawn(
    BINARY,
    ["sync", "--config", config, "--log-file", logFile, "--every", "6s"],
    {
      env: {
        HOME: process.env.HOME ?? "/root",
        PATH: cleanPath(),
        GITLAB_TOKEN: SOURCE_TOKEN,
        GITHUB_TOKEN: CANARY,
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr!.on("data", (d) => stderr += d);
  const exit = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  let ready = false;
  for (let i = 0; i < 1200 && !ready && child.exitCode === null; i++) {
    await new Promise((r) => setTimeout(r, 50));
    ready = records(logFile).some((r) => r.message === "Next sync cycle scheduled" && r.cycle === 3);
  }
  if (!ready) {
    child.kill("SIGKILL");
    throw new Error(`cycle 2 never finished: ${stderr}\n${readFileSync(logFile, "utf8")}`);
  }
  // process.kill, not child.kill: Deno's ChildProcess reports the signal it sent instead of the exit code.
  process.kill(child.pid!, "SIGTERM");
  assert.equal(await exit, 0, stderr);
  return logFile;
}

/** `archive create` of a repository whose requirements.txt names a package the index does not have. */
async function failedDependencyArchiveLog(dir: string): Promise<string> {
  const repo = join(dir, "py-app");
  mkdirSync(repo);
  writeFileSync(join(repo, "requirements.txt"), "requests==2.31.0\n");
  await git(["init", "-q", "-b", "main"], { cwd: repo });
  await git(["add", "-A"], { cwd: repo });
  await git(["-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "app"], {
    cwd: repo,
  });
  const index = await startPypiServer({ dir: tempDir("rc-empty-index-") });
  try {
    const logFile = join(dir, "archive.log");
    const r = await runBinary(
      ["--log-file", logFile, "archive", "create", repo, "--output", join(dir, "archives")],
      { env: { PIP_INDEX_URL: index.url, XDG_STATE_HOME: join(dir, "state") } },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /⚠ Warning: Could not fetch dependencies: /);
    return logFile;
  } finally {
    await index.close();
  }
}

Deno.test("the docs' jq commands answer from real logs as the docs say", async () => {
  const commands = FILES.flatMap(logCommands);
  const texts = new Set(commands.map((c) => c.command));
  const untested = commands.filter((c) => !(c.command in EXPECT));
  assert.deepEqual(untested, [], "doc commands without an expectation in this test");
  const stale = Object.keys(EXPECT).filter((k) => !texts.has(k));
  assert.deepEqual(stale, [], "expectations whose command is in no doc any more");

  const gl = await startForge({ flavor: "gitlab", tokens: [SOURCE_TOKEN] });
  const gh = await startForge({ flavor: "github", tokens: [CANARY] });
  try {
    gl.addNamespace("backend");
    gh.addNamespace("myorg");
    for (const n of ["auth-service", "user-service", "broken"]) {
      seedHistory(gl.addRepo(`backend/${n}`).dir, { commits: 2 });
    }
    gl.faults.push({ match: /^\/backend\/user-service\.git\/info\/refs$/, kind: "hang", times: 1 });
    gl.faults.push({ match: /^\/backend\/broken\.git\//, kind: "status", status: 500, times: 10_000 });
    const dir = tempDir("rc-doc-logs-");
    const log = records(await scheduledSyncLog(dir, gl, gh));
    const archiveLog = records(await failedDependencyArchiveLog(dir));
    const sessionId = String(log[0].session_id);

    const seen = new Set<string>();
    for (const c of commands) {
      if (seen.has(c.command)) continue; // the same line in two docs runs once
      seen.add(c.command);
      // The docs' example session id stands for the log's own.
      const command = c.command.replaceAll("sync-20251013-153000", sessionId);
      const r = await runShell(command, { cwd: dir });
      assert.equal(r.status, 0, `${c.where}: ${c.command}\n${r.stderr}`);
      try {
        EXPECT[c.command](values(r.stdout), { log, archiveLog });
      } catch (e) {
        throw new Error(`${c.where}: ${c.command}\nprinted:\n${r.stdout}\n${(e as Error).message}`);
      }
    }
  } finally {
    await gl.close();
    await gh.close();
  }
});

Deno.test("TROUBLESHOOTING.md's token checks tell a valid token from a revoked one", async () => {
  const gl = await startForge({ flavor: "gitlab", tokens: [SOURCE_TOKEN] });
  const gh = await startForge({ flavor: "github", tokens: [CANARY] });
  try {
    const curls: DocCommand[] = bashLines(join(DOCS, "TROUBLESHOOTING.md"))
      .filter((c) => c.command.startsWith("curl ") && c.command.includes("TOKEN"));
    assert.equal(curls.length, 3, curls.map((c) => c.command).join("\n"));
    const run = async (gitlabToken: string, githubToken: string) => {
      const env = {
        GITLAB_URL: gl.url,
        GITLAB_TOKEN: gitlabToken,
        GITHUB_API_URL: gh.apiUrl,
        GITHUB_TOKEN: githubToken,
      };
      const out: string[] = [];
      for (const c of curls) {
        const r = await runShell(c.command, { cwd: tempDir("rc-doc-curl-"), env });
        out.push(`${r.status}:${r.stdout.trim()}`);
      }
      return out;
    };
    assert.deepEqual(await run(SOURCE_TOKEN, CANARY), ["0:200", "0:200", "0:x-oauth-scopes: repo, read:org"]);
    assert.deepEqual(await run("glpat-revoked", "ghp_revoked"), ["0:401", "0:401", "1:"]);
  } finally {
    await gl.close();
    await gh.close();
  }
});
