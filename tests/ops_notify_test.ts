/**
 * Notifications against local receivers that validate Slack and PagerDuty v2 payloads: one alert per
 * failing transition, one resolve on recovery, none while healthy — across separate runs sharing only
 * the alert state file; unreachable or failing notifiers never throw and are retried next run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { errorHandlingSchema, type NotificationsConfig } from "../src/config/ops_schema.ts";
import { Logger, type LogRecord } from "../src/log/logger.ts";
import { Redactor } from "../src/log/redact.ts";
import { Notifier, type RepositoryOutcome } from "../src/notify/notifier.ts";
import { CANARY, tempDir } from "./support/binary.ts";
import { startPagerDutyReceiver, startSlackReceiver } from "./support/receivers.ts";
import { freePort } from "./support/prometheus_tools.ts";

const KEY = "R0123456789abcdef0123456789abcde";
const HOOK = "/services/T0000/B0000/XXXXXXXXXXXXXXXX";
const noSleep = () => Promise.resolve();

function config(slackUrl: string, pdUrl: string, extra: Record<string, unknown> = {}): NotificationsConfig {
  return errorHandlingSchema.parse({
    notifications: {
      slack: { webhook_url: slackUrl, channel: "#platform-alerts", mention_on_failure: "@platform-oncall" },
      pagerduty: { integration_key: KEY, severity: "error", events_url: pdUrl },
      ...extra,
    },
  }).notifications!;
}

/** One separate "run": a fresh Notifier (as a new process would build), same state file. */
async function run(cfg: NotificationsConfig, statePath: string, outcomes: RepositoryOutcome[], n: number) {
  const logger = new Logger({ sessionId: `sync-20251013-15300${n}` });
  const records: LogRecord[] = [];
  logger.addSink((r) => records.push(r));
  const notifier = new Notifier(cfg, {
    statePath,
    logger: logger.child("notify"),
    hostname: "runner-1",
    sleep: noSleep,
    now: () => new Date(Date.UTC(2025, 9, 13, 15, 30 + n, 45)),
  });
  const report = await notifier.report(outcomes, {
    sessionId: logger.sessionId,
    logFile: `/var/log/repo-cloner/${logger.sessionId}.log`,
  });
  return { report, warnings: records.filter((r) => r.level === "WARNING") };
}

const ok = (repository: string): RepositoryOutcome => ({ repository, ok: true });
const bad = (repository: string, error = "Connection timeout"): RepositoryOutcome => ({
  repository,
  ok: false,
  error,
  errorType: "NetworkError",
});

Deno.test("alerts fire once per failing transition and resolve once on recovery, across separate runs", async () => {
  const slack = await startSlackReceiver(HOOK);
  const pd = await startPagerDutyReceiver();
  try {
    const cfg = config(slack.url + HOOK, `${pd.url}/v2/enqueue`);
    const state = join(tempDir("rc-notify-"), "alert-state.json");
    // 1: all healthy → nothing.
    await run(cfg, state, [ok("backend-auth-service"), ok("backend-api-gateway")], 1);
    assert.equal(slack.requests.length + pd.requests.length, 0);
    // 2: auth-service starts failing → one Slack message, one PagerDuty trigger.
    const r2 = await run(cfg, state, [bad("backend-auth-service"), ok("backend-api-gateway")], 2);
    assert.deepEqual(r2.report.failed, []);
    assert.equal(slack.accepted.length, 1);
    assert.equal(
      slack.accepted[0].text,
      "🚨 Repository Sync Failed\n\nRepository: backend-auth-service\nError: NetworkError: Connection timeout\n" +
        "Session ID: sync-20251013-153002\nTime: 2025-10-13 15:32:45 UTC\n\n" +
        "Logs: /var/log/repo-cloner/sync-20251013-153002.log\n\n@platform-oncall",
    );
    assert.equal(slack.accepted[0].channel, "#platform-alerts");
    assert.equal(pd.accepted.length, 1);
    assert.equal(pd.accepted[0].event_action, "trigger");
    assert.equal(pd.accepted[0].dedup_key, "repo-cloner/backend-auth-service");
    // 3 and 4: still failing → nothing new (one incident, not one per run).
    await run(cfg, state, [bad("backend-auth-service", "Other error"), ok("backend-api-gateway")], 3);
    await run(cfg, state, [bad("backend-auth-service")], 4);
    assert.equal(slack.accepted.length, 1);
    assert.equal(pd.accepted.length, 1);
    // 5: it recovers → one Slack recovery, one PagerDuty resolve with the same dedup key.
    await run(cfg, state, [ok("backend-auth-service"), ok("backend-api-gateway")], 5);
    assert.equal(slack.accepted.length, 2);
    assert.match(
      String(slack.accepted[1].text),
      /^✅ Repository Sync Recovered\n\nRepository: backend-auth-service\nFailing since: 2025-10-13 15:32:45 UTC\n/,
    );
    assert.deepEqual(pd.accepted[1], {
      routing_key: KEY,
      event_action: "resolve",
      dedup_key: "repo-cloner/backend-auth-service",
    });
    // 6: healthy → nothing.
    await run(cfg, state, [ok("backend-auth-service")], 6);
    assert.equal(slack.requests.length, 2);
    assert.equal(pd.requests.length, 2);
    assert.deepEqual([...slack.violations, ...pd.violations], []);
  } finally {
    await slack.close();
    await pd.close();
  }
});

Deno.test("unreachable notifiers do not throw; the alert is delivered by the next run once they are back", async () => {
  const deadSlack = await freePort();
  const deadPd = await freePort();
  const state = join(tempDir("rc-notify-"), "alert-state.json");
  const down = config(`http://127.0.0.1:${deadSlack}${HOOK}`, `http://127.0.0.1:${deadPd}/v2/enqueue`);
  const r1 = await run(down, state, [bad("backend-user-service")], 1);
  assert.equal(r1.report.sent.length, 0);
  assert.deepEqual(r1.report.failed.map((f) => f.channel), ["slack", "pagerduty"]);
  assert.equal(r1.warnings.length, 2);
  for (const w of r1.warnings) {
    assert.match(
      w.message,
      /^Cannot send (Slack|PagerDuty) notification: 127\.0\.0\.1:\d+ unreachable: .*next run$/,
    );
    assert.ok(!w.message.includes(HOOK), "the webhook path (a secret) is never logged");
  }
  const slack = await startSlackReceiver(HOOK);
  const pd = await startPagerDutyReceiver();
  try {
    await run(config(slack.url + HOOK, `${pd.url}/v2/enqueue`), state, [bad("backend-user-service")], 2);
    assert.equal(slack.accepted.length, 1);
    assert.equal(pd.accepted.length, 1);
    assert.deepEqual([...slack.violations, ...pd.violations], []);
  } finally {
    await slack.close();
    await pd.close();
  }
});

Deno.test("HTTP 5xx/429 are retried (bounded); 4xx is not and is reported", async () => {
  const slack = await startSlackReceiver(HOOK);
  const pd = await startPagerDutyReceiver();
  try {
    slack.faults.push({ status: 500, body: "internal" });
    pd.faults.push({ status: 429, body: "{}", headers: { "retry-after": "1" } }, { status: 502 });
    const state = join(tempDir("rc-notify-"), "alert-state.json");
    const r = await run(config(slack.url + HOOK, `${pd.url}/v2/enqueue`), state, [bad("a")], 1);
    assert.deepEqual(r.report.failed, []);
    assert.equal(slack.requests.length, 2);
    assert.equal(pd.requests.length, 3);
    assert.equal(slack.accepted.length + pd.accepted.length, 2);

    // A webhook Slack does not know (404 no_service) fails at once, without retries.
    const wrong = config(`${slack.url}/services/T0000/B0000/WRONG`, `${pd.url}/v2/enqueue`);
    const r2 = await run(wrong, join(tempDir("rc-notify-"), "s.json"), [bad("b")], 2);
    assert.equal(r2.report.failed.length, 1);
    assert.match(
      r2.report.failed[0].message,
      /Cannot send Slack notification: 127\.0\.0\.1:\d+ answered HTTP 404 no_service/,
    );
    assert.equal(slack.requests.length, 3);
  } finally {
    await slack.close();
    await pd.close();
  }
});

Deno.test("many failures at once: one Slack summary, one PagerDuty incident each; secrets never sent", async () => {
  const slack = await startSlackReceiver(HOOK);
  const pd = await startPagerDutyReceiver();
  try {
    const redactor = new Redactor();
    redactor.add(CANARY);
    const state = join(tempDir("rc-notify-"), "alert-state.json");
    const cfg = config(slack.url + HOOK, `${pd.url}/v2/enqueue`);
    const notifier = new Notifier(cfg, { statePath: state, redactor, sleep: noSleep });
    const outcomes = Array.from(
      { length: 7 },
      (_, i) =>
        bad(`repo-${i}`, `push to https://x:${CANARY}@git.example.com/r.git failed (token ${CANARY})`),
    );
    const report = await notifier.report(outcomes, { sessionId: "sync-20251013-153000" });
    assert.deepEqual(report.failed, []);
    assert.equal(slack.accepted.length, 1);
    assert.match(String(slack.accepted[0].text), /^🚨 Repository Sync Failed: 7 repositories\n/);
    assert.equal(pd.accepted.length, 7);
    assert.deepEqual(pd.accepted.map((e) => e.dedup_key), outcomes.map((o) => `repo-cloner/${o.repository}`));
    for (const r of [...slack.requests, ...pd.requests]) assert.ok(!r.body.includes(CANARY), r.body);
    assert.deepEqual([...slack.violations, ...pd.violations], []);
  } finally {
    await slack.close();
    await pd.close();
  }
});

Deno.test("notify_on_recovery: false sends no Slack recovery but PagerDuty still resolves", async () => {
  const slack = await startSlackReceiver(HOOK);
  const pd = await startPagerDutyReceiver();
  try {
    const cfg = config(slack.url + HOOK, `${pd.url}/v2/enqueue`);
    cfg.slack!.notify_on_recovery = false;
    const state = join(tempDir("rc-notify-"), "alert-state.json");
    await run(cfg, state, [bad("a")], 1);
    await run(cfg, state, [ok("a")], 2);
    await run(cfg, state, [bad("a")], 3);
    assert.equal(slack.accepted.length, 2, "a failure after a silent recovery alerts again");
    assert.deepEqual(pd.accepted.map((e) => e.event_action), ["trigger", "resolve", "trigger"]);
  } finally {
    await slack.close();
    await pd.close();
  }
});
