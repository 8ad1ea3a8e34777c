/**
 * Metrics outputs against the real Debian tools: the textfile and the /metrics listener pass
 * `promtool check metrics`; a push lands in a real `prometheus-pushgateway` with the spec's names and
 * values; counters keep counting across one-shot runs; broken outputs never throw.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Logger, type LogRecord } from "../src/log/logger.ts";
import { MetricsPublisher } from "../src/metrics/publisher.ts";
import { startMetricsServer } from "../src/metrics/server.ts";
import { metricsSchema } from "../src/config/ops_schema.ts";
import { tempDir } from "./support/binary.ts";
import {
  freePort,
  parseExposition,
  promtoolCheckMetrics,
  startPushgateway,
} from "./support/prometheus_tools.ts";

function collectingLogger(): { logger: Logger; records: LogRecord[] } {
  const logger = new Logger({ sessionId: "sync-20251013-153000" });
  const records: LogRecord[] = [];
  logger.addSink((r) => records.push(r));
  return { logger, records };
}

/** The spec's example run: one repository synced, one failed after retries, one full archive. */
function recordSpecRun(p: MetricsPublisher): void {
  p.metrics.recordSync({
    repository: "backend-auth-service",
    status: "success",
    durationSeconds: 2.3,
    commits: 42,
    branches: 3,
  });
  p.metrics.recordSync({
    repository: "backend-user-service",
    status: "failure",
    durationSeconds: 3.8,
    retries: 3,
    conflicts: 1,
  });
  p.metrics.recordArchive({ type: "full", sizeBytes: 257359872, durationSeconds: 8.7 });
  p.metrics.recordRun("partial");
}

Deno.test("textfile: atomic, passes promtool, carries the spec's names; counters continue across runs", async () => {
  const dir = tempDir("rc-metrics-");
  const textfile = join(dir, "textfile", "repo_cloner.prom");
  const stateFile = join(dir, "state", "metrics-state.json");
  const config = metricsSchema.parse({ textfile });

  const run1 = MetricsPublisher.open(config, { stateFile });
  recordSpecRun(run1);
  assert.deepEqual(await run1.publish(), []);
  const text1 = readFileSync(textfile, "utf8");
  const check = promtoolCheckMetrics(text1);
  assert.ok(check.ok, `promtool check metrics failed:\n${check.output}\n${text1}`);
  const v1 = parseExposition(text1);
  assert.equal(v1.get('repo_cloner_sync_duration_seconds{repository="backend-auth-service"}'), 2.3);
  assert.equal(v1.get('repo_cloner_sync_success_total{repository="backend-auth-service"}'), 1);
  assert.equal(v1.get('repo_cloner_sync_failure_total{repository="backend-user-service"}'), 1);
  assert.equal(v1.get("repo_cloner_repositories_synced_total"), 1);
  assert.equal(v1.get("repo_cloner_commits_synced_total"), 42);
  assert.equal(v1.get("repo_cloner_branches_synced_total"), 3);
  assert.equal(v1.get('repo_cloner_archive_size_bytes{type="full"}'), 257359872);
  assert.equal(v1.get("repo_cloner_archive_creation_duration_seconds"), 8.7);
  assert.equal(v1.get('repo_cloner_retries_total{repository="backend-user-service"}'), 3);
  assert.equal(v1.get('repo_cloner_conflicts_total{repository="backend-user-service"}'), 1);
  assert.equal(v1.get('repo_cloner_build_info{version="0.1.0"}'), 1);
  const lastSuccess = v1.get('repo_cloner_last_success_timestamp_seconds{repository="backend-auth-service"}');
  assert.ok(lastSuccess && Math.abs(lastSuccess - Date.now() / 1000) < 600, `last success ${lastSuccess}`);
  assert.deepEqual(readdirSync(join(dir, "textfile")), ["repo_cloner.prom"], "no temporary file left behind");

  // A second one-shot process: counters continue from the state file, gauges are replaced.
  const run2 = MetricsPublisher.open(config, { stateFile });
  run2.metrics.recordSync({
    repository: "backend-auth-service",
    status: "success",
    durationSeconds: 4.1,
    commits: 8,
  });
  run2.metrics.recordRun("success");
  assert.deepEqual(await run2.publish(), []);
  const text2 = readFileSync(textfile, "utf8");
  assert.ok(promtoolCheckMetrics(text2).ok);
  const v2 = parseExposition(text2);
  assert.equal(v2.get('repo_cloner_sync_success_total{repository="backend-auth-service"}'), 2);
  assert.equal(v2.get('repo_cloner_sync_failure_total{repository="backend-user-service"}'), 1);
  assert.equal(v2.get("repo_cloner_commits_synced_total"), 50);
  assert.equal(v2.get('repo_cloner_sync_duration_seconds{repository="backend-auth-service"}'), 4.1);
  assert.equal(v2.get('repo_cloner_runs_total{status="partial"}'), 1);
  assert.equal(v2.get('repo_cloner_runs_total{status="success"}'), 1);
});

Deno.test("a corrupt state file, an unwritable textfile and an unreachable Pushgateway are WARNINGs, not errors", async () => {
  const dir = tempDir("rc-metrics-");
  const stateFile = join(dir, "metrics-state.json");
  writeFileSync(stateFile, "{ not json");
  // A regular file where a directory should be: unwritable even for root.
  const notADir = join(dir, "not-a-dir");
  writeFileSync(notADir, "");
  const deadPort = await freePort();
  const { logger, records } = collectingLogger();
  const config = metricsSchema.parse({
    textfile: join(notADir, "repo_cloner.prom"),
    pushgateway_url: `http://127.0.0.1:${deadPort}`,
    timeout_seconds: 2,
  });
  const p = MetricsPublisher.open(config, { stateFile, logger: logger.child("metrics") });
  recordSpecRun(p);
  const problems = await p.publish();
  assert.equal(problems.length, 2, problems.join("\n"));
  assert.match(problems[0], /^Cannot write metrics textfile ".*not-a-dir\/repo_cloner\.prom": /);
  assert.match(problems.at(-1)!, /^Cannot push metrics to Pushgateway http:\/\/127\.0\.0\.1:\d+: /);
  const warnings = records.filter((r) => r.level === "WARNING").map((r) => r.message);
  assert.ok(
    warnings.some((m) => /Cannot use metrics state .*Counters restart at 0/.test(m)),
    warnings.join("\n"),
  );
  assert.ok(warnings.some((m) => m.startsWith("Cannot push metrics")));
  // The corrupt state was replaced by a good one.
  assert.equal(JSON.parse(readFileSync(stateFile, "utf8")).version, 1);
});

Deno.test("/metrics passes promtool; /healthz turns 503 after unhealthy_after failed runs and back", async () => {
  const config = metricsSchema.parse({ listen: "127.0.0.1:0", unhealthy_after: 2 });
  const p = MetricsPublisher.open(config);
  const server = await p.listen();
  assert.ok(server);
  try {
    recordSpecRun(p);
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const check = promtoolCheckMetrics(text);
    assert.ok(check.ok, check.output);
    assert.equal(
      parseExposition(text).get('repo_cloner_sync_failure_total{repository="backend-user-service"}'),
      1,
    );

    const health = async () => {
      const r = await fetch(`${server.url}/healthz`);
      return { status: r.status, body: await r.json() };
    };
    assert.deepEqual(await health(), {
      status: 200,
      body: { status: "ok", consecutive_failed_runs: 0, unhealthy_after: 2 },
    });
    p.metrics.recordRun("failure");
    assert.equal((await health()).status, 200);
    p.metrics.recordRun("failure");
    assert.deepEqual(await health(), {
      status: 503,
      body: { status: "unhealthy", consecutive_failed_runs: 2, unhealthy_after: 2 },
    });
    p.metrics.recordRun("partial");
    assert.equal((await health()).status, 200);
    const notFound = await fetch(`${server.url}/nope`);
    await notFound.body?.cancel();
    assert.equal(notFound.status, 404);
    const post = await fetch(`${server.url}/metrics`, { method: "POST" });
    await post.body?.cancel();
    assert.equal(post.status, 405);
  } finally {
    await p.close();
  }
});

Deno.test("a listener on a taken port fails with a clear error", async () => {
  const p = MetricsPublisher.open(metricsSchema.parse({}));
  const first = await startMetricsServer("127.0.0.1:0", p.metrics);
  try {
    await assert.rejects(
      startMetricsServer(`127.0.0.1:${first.port}`, p.metrics),
      /^Error: Cannot listen for metrics on 127\.0\.0\.1:\d+: .*EADDRINUSE|address already in use/i,
    );
  } finally {
    await first.close();
  }
});

Deno.test("a push lands in the real prometheus-pushgateway with the spec's names and values", async () => {
  const gw = await startPushgateway();
  try {
    const stateFile = join(tempDir("rc-metrics-"), "state.json");
    const config = metricsSchema.parse({ pushgateway_url: gw.url, grouping: { site: "dc1" } });
    const p = MetricsPublisher.open(config, { stateFile, grouping: { shard: "1/2" } });
    recordSpecRun(p);
    assert.deepEqual(await p.publish(), []);
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const v = parseExposition(text);
    const group = 'instance="",job="repo-cloner"';
    const find = (name: string, labels = "") => {
      // The gateway sorts labels by name; build the key the same way.
      const all = [...group.split(","), ...(labels ? [labels] : []), 'shard="1/2"', 'site="dc1"'].sort();
      return v.get(`${name}{${all.join(",")}}`);
    };
    assert.equal(find("repo_cloner_sync_duration_seconds", 'repository="backend-auth-service"'), 2.3);
    assert.equal(find("repo_cloner_sync_success_total", 'repository="backend-auth-service"'), 1);
    assert.equal(find("repo_cloner_sync_failure_total", 'repository="backend-user-service"'), 1);
    assert.equal(find("repo_cloner_repositories_synced_total"), 1);
    assert.equal(find("repo_cloner_commits_synced_total"), 42);
    assert.equal(find("repo_cloner_branches_synced_total"), 3);
    assert.equal(find("repo_cloner_archive_size_bytes", 'type="full"'), 257359872);
    assert.equal(find("repo_cloner_archive_creation_duration_seconds"), 8.7);
    // The gateway adds push_time_seconds for the group: the push really went through PUT /metrics/job/...
    assert.ok([...v.keys()].some((k) => k.startsWith("push_time_seconds{") && k.includes('shard="1/2"')));

    // A second run pushes again: the group is replaced, counters continued from the state file.
    const p2 = MetricsPublisher.open(config, { stateFile, grouping: { shard: "1/2" } });
    p2.metrics.recordSync({ repository: "backend-auth-service", status: "success", durationSeconds: 1.5 });
    assert.deepEqual(await p2.publish(), []);
    const v2 = parseExposition(await (await fetch(`${gw.url}/metrics`)).text());
    const find2 = (name: string, labels: string) =>
      v2.get(`${name}{${[...group.split(","), labels, 'shard="1/2"', 'site="dc1"'].sort().join(",")}}`);
    assert.equal(find2("repo_cloner_sync_success_total", 'repository="backend-auth-service"'), 2);
    assert.equal(find2("repo_cloner_sync_duration_seconds", 'repository="backend-auth-service"'), 1.5);
  } finally {
    await gw.close();
  }
});
