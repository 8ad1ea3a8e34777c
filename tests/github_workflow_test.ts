/**
 * `.github/workflows/sync.yml` is valid YAML with the intended shape (schedule, build → sync, a
 * four-shard matrix that does not fail fast, secrets only in `env`), and its shell steps really work:
 * each matrix shard's `run` script is executed by bash with the step's `env` (GitHub expressions
 * replaced by values pointing at the forge emulator) and `bin/repo-cloner` being the compiled binary;
 * the four shards together sync every repository exactly once, the Summary step's jq renders the
 * `--json` result, and the dry-run input changes nothing.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { seedHistory } from "./support/forge_repos.ts";
import { type Forge, startForge } from "./support/forge.ts";
import { BINARY, CANARY, cleanPath, tempDir } from "./support/binary.ts";
import { SOURCE_TOKEN } from "./support/sync_fixture.ts";

const ROOT = resolve(import.meta.dirname ?? ".", "..");
const FILE = join(ROOT, ".github/workflows/sync.yml");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string;
  "runs-on": string;
  strategy?: { "fail-fast"?: boolean; matrix?: { shard?: number[] } };
  steps: Step[];
}
interface Workflow {
  on: { schedule: { cron: string }[]; workflow_dispatch: { inputs: Record<string, unknown> } };
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

function load(): Workflow {
  return parse(readFileSync(FILE, "utf8")) as Workflow;
}

/**
 * Runs a step's script with bash as Actions does (`bash --noprofile --norc -e -o pipefail`). Async:
 * the forge emulator answering the binary lives in this process.
 */
function bash(
  script: string,
  options: { cwd: string; env: Record<string, string> },
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn("bash", ["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script], {
      ...options,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => stdout += d);
    child.stderr.on("data", (d) => stderr += d);
    child.on("error", fail);
    child.on("close", (status) => done({ status, stdout, stderr }));
  });
}

/** Replaces every `${{ … }}` with `values[expression]`; an expression the test does not know fails. */
function expand(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_m, expr: string) => {
    assert.ok(expr in values, `unknown expression \${{ ${expr} }} in: ${text}`);
    return values[expr];
  });
}

Deno.test("sync.yml: valid YAML, scheduled, built once, four shards that do not fail fast, secrets only in env", () => {
  const wf = load();
  assert.equal(wf.on.schedule[0].cron, "*/15 * * * *");
  assert.ok("dry_run" in wf.on.workflow_dispatch.inputs);
  assert.deepEqual(wf.permissions, { contents: "read" });
  assert.deepEqual(Object.keys(wf.jobs), ["build", "sync"]);
  const sync = wf.jobs.sync;
  assert.equal(sync.needs, "build");
  assert.equal(sync.strategy?.["fail-fast"], false);
  assert.deepEqual(sync.strategy?.matrix?.shard, [1, 2, 3, 4]);
  const runs = Object.values(wf.jobs).flatMap((j) => j.steps).filter((s) => s.run);
  for (const s of runs) {
    assert.ok(!/secrets\./.test(s.run!), `a secret on a command line: ${s.run}`);
  }
  const step = sync.steps.find((s) => s.run?.includes("repo-cloner") && s.run.includes(" sync "))!;
  assert.match(step.run!, /--shard \$\{\{ matrix\.shard \}\}\/4 /, "the shard count matches the matrix");
  assert.equal(step.env?.GITLAB_TOKEN, "${{ secrets.GITLAB_TOKEN }}");
  assert.equal(step.env?.GITHUB_TOKEN, "${{ secrets.MIRROR_GITHUB_TOKEN }}");
  const build = wf.jobs.build.steps.map((s) => s.run ?? s.uses);
  assert.ok(build.includes("bash scripts/compile.sh"));
  assert.ok(sync.steps.some((s) => s.uses?.startsWith("actions/download-artifact@")));
});

Deno.test("sync.yml: the build smoke test and every shard's run scripts work with the binary", async (t) => {
  const wf = load();
  const smoke = wf.jobs.build.steps.find((s) => s.name === "Smoke test")!;
  assert.equal(smoke.run, "./dist/repo-cloner version");
  const version = spawnSync("bash", ["-e", "-c", smoke.run!], { cwd: ROOT, encoding: "utf8" });
  assert.equal(version.status, 0, version.stderr);
  assert.match(version.stdout, /^repo-cloner \d+\.\d+\.\d+/);

  const gl: Forge = await startForge({ flavor: "gitlab", tokens: [SOURCE_TOKEN] });
  const gh: Forge = await startForge({ flavor: "github", tokens: [CANARY] });
  try {
    gl.addNamespace("backend");
    gh.addNamespace("myorg");
    const names = ["auth-service", "api-gateway", "user-service", "billing", "search", "notify", "ledger"];
    for (const n of names) seedHistory(gl.addRepo(`backend/${n}`).dir, { commits: 1 });
    const sync = wf.jobs.sync;
    const syncStep = sync.steps.find((s) => s.name?.startsWith("Sync shard"))!;
    const summaryStep = sync.steps.find((s) => s.name === "Summary")!;
    assert.equal(summaryStep.if, "always()");

    /** One job of the matrix: its own workspace and HOME (cache), steps run by bash -e -o pipefail. */
    const runJob = async (shard: number, dryRun: boolean) => {
      const work = tempDir(`rc-gha-${shard}-`);
      mkdirSync(join(work, "bin"));
      symlinkSync(BINARY, join(work, "bin", "repo-cloner"));
      const summary = join(work, "step-summary.md");
      writeFileSync(summary, "");
      const values: Record<string, string> = {
        "matrix.shard": String(shard),
        "vars.GITLAB_URL || 'https://gitlab.com'": gl.url,
        "vars.GITLAB_GROUP": "backend",
        "secrets.GITLAB_TOKEN": SOURCE_TOKEN,
        "vars.MIRROR_GITHUB_ORG": "myorg",
        "secrets.MIRROR_GITHUB_TOKEN": CANARY,
        "inputs.dry_run && '--dry-run' || ''": dryRun ? "--dry-run" : "",
      };
      const env: Record<string, string> = {
        PATH: cleanPath(),
        HOME: join(work, "home"),
        GITHUB_STEP_SUMMARY: summary,
        GITHUB_URL: gh.url, // the emulator stands in for github.com
      };
      for (const [k, v] of Object.entries(syncStep.env ?? {})) env[k] = expand(v, values);
      const main = await bash(expand(syncStep.run!, values), { cwd: work, env });
      const after = await bash(expand(summaryStep.run!, values), { cwd: work, env });
      return { work, main, after, summary: readFileSync(summary, "utf8") };
    };

    await t.step("dry run (workflow_dispatch input): plan printed, nothing pushed", async () => {
      const r = await runJob(1, true);
      assert.equal(r.main.status, 0, r.main.stderr);
      assert.equal(r.after.status, 0, r.after.stderr);
      assert.equal(JSON.parse(readFileSync(join(r.work, "result-1.json"), "utf8")).dry_run, true);
      assert.equal(gh.ops("push").length, 0);
    });

    const shardOf = new Map<string, number>();
    await t.step("four shards sync every repository exactly once", async () => {
      const synced: string[] = [];
      for (const shard of sync.strategy!.matrix!.shard!) {
        const r = await runJob(shard, false);
        assert.equal(r.main.status, 0, r.main.stderr);
        assert.equal(r.after.status, 0, r.after.stderr);
        const result = JSON.parse(readFileSync(join(r.work, `result-${shard}.json`), "utf8"));
        assert.deepEqual(result.shard, { index: shard, count: 4 });
        assert.equal(
          r.summary.split("\n")[0],
          `### Shard ${shard}/4: ${result.total}/${result.total} synced, 0 failed, 0 diverged`,
        );
        assert.ok(existsSync(join(r.work, `sync-${shard}.log`)), "the log the artifact step uploads");
        for (const x of result.repositories as { repository: string }[]) {
          synced.push(x.repository);
          shardOf.set(x.repository, shard);
        }
        const everything = r.main.stdout + r.main.stderr +
          readFileSync(join(r.work, `sync-${shard}.log`), "utf8");
        for (const s of [CANARY, SOURCE_TOKEN]) assert.ok(!everything.includes(s), `${s} leaked`);
      }
      assert.deepEqual(synced.sort(), [...names].sort());
      for (const n of names) assert.deepEqual(gh.refs(`myorg/${n}`), gl.refs(`backend/${n}`));
    });

    await t.step(
      "a failing repository: exit 4 (1 when it is the shard's only one) fails the step, the Summary step still lists it",
      async () => {
        seedHistory(gl.repos.get("backend/auth-service")!.dir, { commits: 1 });
        const shard = shardOf.get("auth-service");
        assert.ok(shard, "auth-service was synced by some shard");
        // 404: a permanent failure, not retried (a 5xx would be retried with backoff first).
        gl.faults.push({
          match: /^\/backend\/auth-service\.git\//,
          kind: "status",
          status: 404,
          times: 1000,
        });
        const r = await runJob(shard!, false);
        gl.faults.length = 0;
        // Exit 4 is partial success; a shard whose every repository failed is a failed run, exit 1.
        const shardSize = [...shardOf.values()].filter((s) => s === shard).length;
        assert.equal(r.main.status, shardSize === 1 ? 1 : 4, r.main.stderr);
        assert.equal(r.after.status, 0, r.after.stderr);
        assert.match(r.summary, /, 1 failed, 0 diverged\n- failed: auth-service\n$/);
      },
    );
  } finally {
    await gl.close();
    await gh.close();
  }
});
