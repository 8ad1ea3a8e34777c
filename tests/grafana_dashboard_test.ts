/**
 * examples/grafana/repo-cloner.json against the real Debian `prometheus`: two `repo-cloner sync` cycles
 * (compiled binary, forge emulators: a retried fault, a failing repository that recovers, a diverged
 * branch) and two `archive create` runs push to a real Pushgateway that Prometheus scrapes every second;
 * then EVERY PromQL expression in the dashboard goes through `/api/v1/query` (and `/api/v1/query_range`
 * for range-vector ones) and must parse and return data, and the repository variable's
 * `label_values()` must list the repositories. Run `bash scripts/compile.sh` first.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { addCommits, seedHistory } from "./support/forge_repos.ts";
import { startForge } from "./support/forge.ts";
import { CANARY, runBinary, tempDir } from "./support/binary.ts";
import { SOURCE_TOKEN } from "./support/sync_fixture.ts";
import { startPushgateway } from "./support/prometheus_tools.ts";
import {
  type PromAnswer,
  type PrometheusServer,
  type PromSeries,
  startPrometheus,
} from "./support/prometheus_server.ts";

const DASHBOARD = resolve(import.meta.dirname ?? ".", "../examples/grafana/repo-cloner.json");

// deno-lint-ignore no-explicit-any
type Json = any;

/** Every PromQL expression of the dashboard: panel targets (rows included) and query variables. */
function dashboardQueries(d: Json): { exprs: string[]; variables: string[] } {
  const exprs: string[] = [];
  const walk = (panels: Json[]) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) if (t.expr) exprs.push(t.expr);
      walk(p.panels);
    }
  };
  walk(d.panels);
  const variables = (d.templating?.list ?? []).filter((v: Json) => v.type === "query")
    .map((v: Json) => typeof v.query === "string" ? v.query : v.query.query);
  return { exprs, variables };
}

/** Grafana's variables as Grafana would fill them for "All repositories" over the test window. */
function substitute(expr: string, rangeSeconds: number): string {
  const out = expr
    .replaceAll("$__rate_interval", "1m")
    .replaceAll("$__interval", "1s")
    .replaceAll("$__range", `${rangeSeconds}s`)
    .replaceAll("$repository", ".*");
  assert.ok(!out.includes("$"), `unknown Grafana variable left in ${out}`);
  return out;
}

function seriesOf(a: PromAnswer, expr: string): PromSeries[] {
  assert.equal(a.status, "success", `${expr}: ${a.errorType}: ${a.error}`);
  assert.ok(a.data && (a.data.resultType === "vector" || a.data.resultType === "matrix"), expr);
  return a.data.result as PromSeries[];
}

/** Value of an instant query's only (or first) series with `labels`, or undefined. */
async function valueOf(p: PrometheusServer, expr: string): Promise<number | undefined> {
  const s = seriesOf(await p.query(expr), expr);
  return s.length ? Number(s[0].value![1]) : undefined;
}

/** Waits (bounded) until the series `selector` equals `want` and Prometheus has scraped it 3 more times. */
async function scraped(p: PrometheusServer, selector: string, want: number): Promise<void> {
  const samples = async () => await valueOf(p, `count_over_time(${selector}[10m])`) ?? 0;
  let seen: number | undefined;
  for (let i = 0; i < 600; i++) {
    if (seen === undefined && await valueOf(p, selector) === want) seen = await samples();
    if (seen !== undefined && await samples() >= seen + 3) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Prometheus never scraped ${selector} == ${want} (and 3 more samples)`);
}

Deno.test("the Grafana dashboard: every PromQL expression parses and returns data from two real sync cycles", async () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8"));
  const { exprs, variables } = dashboardQueries(dashboard);
  assert.ok(exprs.length >= 12, `expected the spec's panels and more, found ${exprs.length} queries`);

  const gl = await startForge({ flavor: "gitlab", tokens: [SOURCE_TOKEN] });
  const gh = await startForge({ flavor: "github", tokens: [CANARY] });
  const gw = await startPushgateway();
  const prom = await startPrometheus([new URL(gw.url).host]);
  const started = Date.now() / 1000;
  try {
    gl.addNamespace("backend");
    gh.addNamespace("myorg");
    for (const name of ["auth-service", "user-service", "broken"]) {
      seedHistory(gl.addRepo(`backend/${name}`).dir, { commits: 2, branches: ["dev"] });
    }
    const dir = tempDir("rc-grafana-");
    const config = join(dir, "config.yml");
    writeFileSync(
      config,
      `sources:
  - type: gitlab
    url: ${gl.url}
    token: \${GITLAB_TOKEN}
    groups: [backend]
targets:
  - type: github
    url: ${gh.url}
    organization: myorg
    token: \${GITHUB_TOKEN}
sync:
  state_dir: ${join(dir, "state")}
concurrency:
  max_parallel: 1
  max_retries: 2
  retry_backoff_seconds: 0.05
  timeout_per_repo_seconds: 60
metrics:
  pushgateway_url: ${gw.url}
  state_file: ${join(dir, "state", "metrics-state.json")}
`,
    );
    const env = { GITLAB_TOKEN: SOURCE_TOKEN, GITHUB_TOKEN: CANARY };
    const src = join(dir, "ledger");
    const commit = (file: string, bytes: number) => {
      writeFileSync(join(src, file), "x".repeat(bytes));
      execFileSync("git", ["-C", src, "add", file]);
      execFileSync("git", [
        "-C",
        src,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.test",
        "commit",
        "-qm",
        file,
      ]);
    };
    execFileSync("git", ["init", "-q", "-b", "main", src]);
    commit("a.txt", 1000);
    const archive = async (n: number) => {
      const r = await runBinary(
        ["archive", "create", src, "--no-dependencies", "--config", config, "--output", join(dir, `out${n}`)],
        { env },
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
    };

    // Cycle 1: an archive, then a sync where user-service is retried once and broken fails.
    await archive(1);
    gl.faults.push({
      match: /^\/backend\/user-service\.git\/info\/refs$/,
      kind: "status",
      status: 502,
      times: 1,
    });
    gl.faults.push({
      match: /^\/backend\/broken\.git\/info\/refs$/,
      kind: "status",
      status: 500,
      times: 1000,
    });
    const r1 = await runBinary(["sync", "--config", config], { env });
    assert.equal(r1.code, 4, r1.stdout + r1.stderr);
    await scraped(prom, 'repo_cloner_sync_failure_total{repository="broken"}', 1);

    // Cycle 2: a bigger archive; broken recovers; auth-service's dev diverged on the target (a conflict).
    commit("b.bin", 200_000);
    await archive(2);
    gl.faults.length = 0;
    addCommits(gl.repos.get("backend/auth-service")!.dir, "dev", 1, { label: "src" });
    addCommits(gh.repos.get("myorg/auth-service")!.dir, "dev", 1, { label: "tgt" });
    const r2 = await runBinary(["sync", "--config", config], { env });
    assert.equal(r2.code, 4, r2.stdout + r2.stderr);
    assert.match(r2.stdout, /diverged/);
    await scraped(prom, 'repo_cloner_sync_success_total{repository="broken"}', 1);
    await scraped(prom, 'repo_cloner_conflicts_total{repository="auth-service"}', 1);

    const end = Date.now() / 1000;
    const range = Math.ceil(end - started) + 5;
    for (const raw of exprs) {
      const expr = substitute(raw, range);
      const instant = seriesOf(await prom.query(expr, end), expr);
      assert.ok(instant.length > 0, `no data: ${expr}`);
      if (/\[[^\]]+\]/.test(expr)) {
        const ranged = seriesOf(await prom.queryRange(expr, started, end, 1), expr);
        assert.ok(ranged.some((s) => (s.values ?? []).length > 0), `no data over the test window: ${expr}`);
      }
    }
    for (const v of variables) {
      const m = /^label_values\(\s*([^,]+?)\s*,\s*(\w+)\s*\)$/.exec(v);
      assert.ok(m, `variable query ${v} is label_values(metric, label)`);
      assert.deepEqual((await prom.labelValues(m[2], m[1])).sort(), [
        "auth-service",
        "broken",
        "user-service",
      ]);
    }

    // The numbers mean what the panels say.
    const byRepo = async (expr: string) =>
      Object.fromEntries(
        seriesOf(await prom.query(substitute(expr, range), end), expr).map((s) => [
          s.metric.repository,
          Number(s.value![1]),
        ]),
      );
    const conflicts = dashboard.panels.find((p: Json) =>
      p.title === "Conflicts by repository"
    ).targets[0].expr;
    assert.ok((await byRepo(conflicts))["auth-service"] >= 0.9, "the diverged branch shows as a conflict");
    const since = dashboard.panels.find((p: Json) => p.title === "Time since last success").targets[0].expr;
    const ages = await byRepo(since);
    assert.deepEqual(Object.keys(ages).sort(), ["auth-service", "broken", "user-service"]);
    for (const [repo, age] of Object.entries(ages)) {
      assert.ok(age >= 0 && age < end - started + 5, `${repo}: ${age}`);
    }
    const sizes = seriesOf(await prom.query('repo_cloner_archive_size_bytes{type="full"}', end), "size");
    const bigger = execFileSync("sh", ["-c", `stat -c %s ${join(dir, "out2")}/*.tar.gz`], {
      encoding: "utf8",
    });
    assert.equal(
      Number(sizes[0].value![1]),
      Number(bigger.trim()),
      "the trend ends at the last archive's size",
    );

    for (const out of [r1.stdout, r1.stderr, r2.stdout, r2.stderr]) {
      assert.ok(!out.includes(CANARY));
    }
  } finally {
    await prom.close();
    await gw.close();
    await gl.close();
    await gh.close();
  }
});

Deno.test("the Grafana dashboard is importable: datasource variable, unique ids, grid, no rate() on gauges", () => {
  const d = JSON.parse(readFileSync(DASHBOARD, "utf8"));
  assert.ok(d.schemaVersion >= 36, `schemaVersion ${d.schemaVersion}`);
  assert.equal(d.uid, "repo-cloner");
  const ds = d.templating.list.find((v: Json) => v.type === "datasource");
  assert.deepEqual([ds.name, ds.query], ["datasource", "prometheus"]);
  const panels: Json[] = [];
  const walk = (ps: Json[]) => ps?.forEach((p) => (panels.push(p), walk(p.panels)));
  walk(d.panels);
  assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, "panel ids are unique");
  for (const p of panels.filter((p) => p.type !== "row")) {
    assert.deepEqual(p.datasource, { type: "prometheus", uid: "${datasource}" }, p.title);
    assert.ok(
      p.targets.length > 0 && p.targets.every((t: Json) => t.datasource.uid === "${datasource}"),
      p.title,
    );
    assert.ok(p.gridPos.x + p.gridPos.w <= 24, p.title);
    assert.ok(p.description?.length > 20, `${p.title} explains itself`);
  }
  const titles = panels.map((p) => p.title);
  for (
    const t of [
      "Sync success rate (fleet)",
      "Average sync duration by repository",
      "Archive size trend",
      "Failures by repository",
      "Retries by repository",
      "Conflicts by repository",
      "Time since last success",
    ]
  ) assert.ok(titles.includes(t), `panel ${t}`);
  const gauges = [
    "repo_cloner_archive_size_bytes",
    "repo_cloner_sync_duration_seconds",
    "repo_cloner_last_success_timestamp_seconds",
  ];
  for (const { expr } of panels.flatMap((p) => p.targets ?? [])) {
    for (const g of gauges) {
      assert.ok(!new RegExp(`(rate|increase)\\(${g}`).test(expr), `rate/increase on gauge ${g}: ${expr}`);
    }
  }
  const trend = panels.find((p) => p.title === "Archive size trend");
  assert.match(
    trend.targets.map((t: Json) => t.expr).join("\n"),
    /deriv\(repo_cloner_archive_size_bytes\[1h\]\)/,
  );
  assert.match(trend.description, /rate\(\) to a gauge/);
});
