/**
 * Operations end to end with the compiled binary: two `repo-cloner sync` runs against the forge
 * emulator with one transient fault (retried) and one repository that keeps failing, then recovers.
 * Checks: metrics in a textfile (promtool) and in the real Pushgateway, counters continuing across the
 * runs, one Slack alert and one PagerDuty trigger for the failing repository, one recovery and one
 * resolve, the logs shipped to Splunk HEC and CloudWatch Logs, and the token nowhere.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { seedHistory } from "./support/forge_repos.ts";
import { type Forge, startForge } from "./support/forge.ts";
import { CANARY, runBinary, tempDir } from "./support/binary.ts";
import { SOURCE_TOKEN } from "./support/sync_fixture.ts";
import { startPagerDutyReceiver, startSlackReceiver, startSplunkReceiver } from "./support/receivers.ts";
import { startCloudWatchReceiver } from "./support/cloudwatch_receiver.ts";
import { parseExposition, promtoolCheckMetrics, startPushgateway } from "./support/prometheus_tools.ts";

const HOOK = "/services/T0000/B0000/slack-hook-secret";
const PD_KEY = "R0123456789abcdef0123456789abcde";
const HEC_TOKEN = "hec-token-5f0c2a9e";

Deno.test("sync with metrics, alerts and log shipping: a failing repository alerts once and resolves once", async () => {
  const gl: Forge = await startForge({ flavor: "gitlab", tokens: [SOURCE_TOKEN] });
  const gh: Forge = await startForge({ flavor: "github", tokens: [CANARY] });
  const slack = await startSlackReceiver(HOOK);
  const pd = await startPagerDutyReceiver();
  const hec = await startSplunkReceiver(HEC_TOKEN, { indexes: ["repo-cloner"] });
  const cw = await startCloudWatchReceiver({ groups: ["/aws/repo-cloner/production"] });
  const gw = await startPushgateway();
  try {
    gl.addNamespace("backend");
    gh.addNamespace("myorg");
    for (const name of ["auth-service", "user-service", "broken"]) {
      seedHistory(gl.addRepo(`backend/${name}`).dir, { commits: 2 });
    }
    const dir = tempDir("rc-ops-sync-");
    const logFile = join(dir, "sync.log");
    const textfile = join(dir, "textfile", "repo_cloner.prom");
    const config = join(dir, "config.yml");
    writeFileSync(
      config,
      `logging:
  level: INFO
  output:
    file: ${logFile}
  integrations:
    splunk:
      url: ${hec.url}
      token: \${SPLUNK_HEC_TOKEN}
      index: repo-cloner
    cloudwatch:
      log_group: /aws/repo-cloner/production
      log_stream: sync-operations
      region: us-east-1
      endpoint: ${cw.url}
sources:
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
error_handling:
  notifications:
    slack:
      webhook_url: \${SLACK_WEBHOOK_URL}
      channel: "#platform-alerts"
      mention_on_failure: "@platform-oncall"
    pagerduty:
      integration_key: \${PAGERDUTY_KEY}
      severity: error
      events_url: ${pd.url}/v2/enqueue
metrics:
  textfile: ${textfile}
  pushgateway_url: ${gw.url}
`,
    );
    const env = {
      GITLAB_TOKEN: SOURCE_TOKEN,
      GITHUB_TOKEN: CANARY,
      SPLUNK_HEC_TOKEN: HEC_TOKEN,
      SLACK_WEBHOOK_URL: slack.url + HOOK,
      PAGERDUTY_KEY: PD_KEY,
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    };

    // Run 1: user-service answers 502 once (retried), broken answers 500 every time (fails after retries).
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

    assert.deepEqual([...slack.violations, ...pd.violations, ...hec.violations, ...cw.violations], []);
    assert.equal(slack.accepted.length, 1);
    const alert = String(slack.accepted[0].text);
    assert.match(
      alert,
      /^🚨 Repository Sync Failed\n\nRepository: broken\nError: NetworkError: .+\nSession ID: sync-\d{8}-\d{6}\n/,
    );
    assert.match(
      alert,
      /\nTime: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n\nLogs: .*sync\.log\n\n@platform-oncall$/,
    );
    assert.equal(pd.accepted.length, 1);
    assert.equal(pd.accepted[0].event_action, "trigger");
    assert.equal(pd.accepted[0].dedup_key, "repo-cloner/broken");

    const text1 = readFileSync(textfile, "utf8");
    assert.ok(promtoolCheckMetrics(text1).ok, promtoolCheckMetrics(text1).output);
    const m1 = parseExposition(text1);
    assert.equal(m1.get('repo_cloner_sync_success_total{repository="auth-service"}'), 1);
    assert.equal(m1.get('repo_cloner_sync_success_total{repository="user-service"}'), 1);
    assert.equal(m1.get('repo_cloner_sync_failure_total{repository="broken"}'), 1);
    assert.equal(m1.get('repo_cloner_retries_total{repository="user-service"}'), 1);
    assert.equal(m1.get('repo_cloner_retries_total{repository="broken"}'), 2);
    assert.equal(m1.get("repo_cloner_repositories_synced_total"), 2);
    assert.equal(m1.get("repo_cloner_commits_synced_total"), 4);
    assert.equal(m1.get('repo_cloner_runs_total{status="partial"}'), 1);

    // The spec's jq lines are run on a real log by tests/doc_log_commands_test.ts (from the docs).

    // Run 2: broken recovers.
    gl.faults.length = 0;
    const r2 = await runBinary(["sync", "--config", config], { env });
    assert.equal(r2.code, 0, r2.stdout + r2.stderr);
    assert.equal(slack.accepted.length, 2);
    assert.match(String(slack.accepted[1].text), /^✅ Repository Sync Recovered\n\nRepository: broken\n/);
    assert.deepEqual(pd.accepted[1], {
      routing_key: PD_KEY,
      event_action: "resolve",
      dedup_key: "repo-cloner/broken",
    });

    const m2 = parseExposition(readFileSync(textfile, "utf8"));
    assert.equal(m2.get('repo_cloner_sync_success_total{repository="auth-service"}'), 2, "counters continue");
    assert.equal(m2.get('repo_cloner_sync_success_total{repository="broken"}'), 1);
    assert.equal(m2.get('repo_cloner_sync_failure_total{repository="broken"}'), 1);
    assert.equal(m2.get("repo_cloner_repositories_synced_total"), 5);

    // The Pushgateway holds the same values (job repo-cloner).
    const g = parseExposition(await (await fetch(`${gw.url}/metrics`)).text());
    assert.equal(
      g.get('repo_cloner_sync_success_total{instance="",job="repo-cloner",repository="auth-service"}'),
      2,
    );
    assert.equal(
      g.get('repo_cloner_sync_failure_total{instance="",job="repo-cloner",repository="broken"}'),
      1,
    );

    // Both runs' records were shipped: Splunk HEC and CloudWatch Logs.
    const completed = (events: unknown[]) =>
      events.filter((e) => (e as { message?: string }).message === "Repository sync completed").length;
    assert.equal(completed(hec.accepted.map((e) => e.event)), 5);
    const stream = cw.groups.get("/aws/repo-cloner/production")!.get("sync-operations")!;
    assert.equal(completed(stream.map((e) => JSON.parse(e.message))), 5);
    const fileRecords = readFileSync(logFile, "utf8").trim().split("\n").length;
    assert.equal(hec.accepted.length, fileRecords, "every logged record reached Splunk");
    assert.equal(stream.length, fileRecords, "every logged record reached CloudWatch");

    // The token never leaves the process: outputs, log, textfile, every request any receiver got.
    const everything = [
      r1.stdout,
      r1.stderr,
      r2.stdout,
      r2.stderr,
      readFileSync(logFile, "utf8"),
      readFileSync(textfile, "utf8"),
      ...[slack, pd, hec, cw].flatMap((r) => r.requests.map((q) => q.body)),
    ].join("\n");
    for (const secret of [CANARY, SOURCE_TOKEN, HEC_TOKEN, HOOK]) {
      assert.ok(!everything.includes(secret), `${secret} leaked`);
    }
  } finally {
    for (const s of [slack, pd, hec, cw, gw]) await s.close();
    await gl.close();
    await gh.close();
  }
});
