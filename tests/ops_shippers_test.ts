/**
 * Log shipping through the real logger into local receivers that validate Splunk HEC envelopes and
 * CloudWatch Logs PutLogEvents calls (made by the real `@aws-sdk/client-cloudwatch-logs`): batched,
 * within the documented limits, in order, flushed on close, redacted, and never breaking the run.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { integrationsSchema } from "../src/config/ops_schema.ts";
import { Logger } from "../src/log/logger.ts";
import { Redactor } from "../src/log/redact.ts";
import { attachShippers } from "../src/log/shippers/mod.ts";
import { CANARY, tempDir } from "./support/binary.ts";
import { startCloudWatchReceiver } from "./support/cloudwatch_receiver.ts";
import { startSplunkReceiver } from "./support/receivers.ts";
import { freePort } from "./support/prometheus_tools.ts";

const HEC_TOKEN = "11111111-2222-3333-4444-555555555555";
const CREDS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };

function makeLogger(options: { now?: () => Date } = {}) {
  const redactor = new Redactor();
  redactor.add(CANARY);
  redactor.add(HEC_TOKEN);
  const file = join(tempDir("rc-ship-"), "sync.log");
  const logger = new Logger({
    sessionId: "sync-20251013-153000",
    file,
    level: "DEBUG",
    redactor,
    now: options.now,
  });
  return {
    logger,
    file,
    lines: () => readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l)),
  };
}

/** Logs `n` sync records, yielding to the event loop every 1 000 as a real run (doing I/O) does. */
async function logSyncs(logger: Logger, n: number, pad = 0): Promise<void> {
  const log = logger.child("sync_engine");
  for (let i = 0; i < n; i++) {
    if (i % 1000 === 999) await new Promise((r) => setTimeout(r, 0));
    log.info("Repository sync completed", {
      repository: `repo-${i}`,
      commits_synced: i,
      duration_seconds: 2.3,
      status: "success",
      note: pad ? "é".repeat(pad) : undefined,
      source_url: `https://oauth2:${CANARY}@gitlab.example.com/g/repo-${i}.git`,
    });
  }
}

Deno.test("Splunk HEC: batched envelopes with index and sourcetype, flushed on close, secrets redacted", async () => {
  const hec = await startSplunkReceiver(HEC_TOKEN, { indexes: ["repo-cloner"] });
  try {
    const { logger } = makeLogger();
    const integrations = integrationsSchema.parse({
      splunk: {
        url: hec.url,
        token: HEC_TOKEN,
        index: "repo-cloner",
        batch_size: 500,
        flush_interval_seconds: 3600,
      },
    });
    const shippers = attachShippers(logger, integrations);
    await logSyncs(logger, 1234);
    await shippers.close();
    assert.deepEqual(hec.violations, []);
    assert.equal(hec.accepted.length, 1234);
    assert.ok(hec.requests.length >= 3, `batched: ${hec.requests.length} requests`);
    const first = hec.accepted[0];
    assert.equal(first.sourcetype, "repo_cloner");
    assert.equal(first.index, "repo-cloner");
    assert.equal(first.source, "repo-cloner");
    assert.equal(typeof first.host, "string");
    const event = first.event as Record<string, unknown>;
    assert.equal(event.message, "Repository sync completed");
    assert.equal(event.session_id, "sync-20251013-153000");
    assert.equal(event.logger, "repo_cloner.sync_engine");
    assert.ok(Math.abs((first.time as number) * 1000 - Date.parse(event.timestamp as string)) < 1);
    assert.deepEqual(hec.accepted.map((e) => (e.event as { repository: string }).repository).slice(0, 3), [
      "repo-0",
      "repo-1",
      "repo-2",
    ]);
    for (const r of hec.requests) assert.ok(!r.body.includes(CANARY), "secrets are redacted before shipping");
  } finally {
    await hec.close();
  }
});

Deno.test("Splunk HEC: the timer flushes without close", async () => {
  const hec = await startSplunkReceiver(HEC_TOKEN);
  try {
    const { logger } = makeLogger();
    const shippers = attachShippers(
      logger,
      integrationsSchema.parse({ splunk: { url: hec.url, token: HEC_TOKEN, flush_interval_seconds: 0.05 } }),
    );
    await logSyncs(logger, 3);
    for (let i = 0; i < 200 && hec.accepted.length < 3; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(hec.accepted.length, 3);
    await shippers.close();
    assert.equal(hec.requests.length, 1);
  } finally {
    await hec.close();
  }
});

Deno.test("Splunk HEC: a wrong token or a dead endpoint is a logged WARNING; the run goes on", async () => {
  const hec = await startSplunkReceiver(HEC_TOKEN);
  const dead = await freePort();
  try {
    for (
      const [url, token, expect] of [
        [
          hec.url,
          "wrong-token-value",
          /Splunk HEC 127\.0\.0\.1:\d+: cannot deliver 2 event\(s\): HTTP 403 .*Invalid token/,
        ],
        [
          `http://127.0.0.1:${dead}`,
          HEC_TOKEN,
          /Splunk HEC 127\.0\.0\.1:\d+: cannot deliver 2 event\(s\): unreachable/,
        ],
      ] as const
    ) {
      const { logger, lines } = makeLogger();
      const shippers = attachShippers(
        logger,
        integrationsSchema.parse({
          splunk: { url, token, flush_interval_seconds: 3600, timeout_seconds: 2 },
        }),
        { closeTimeoutMs: 5_000 },
      );
      await logSyncs(logger, 2);
      await shippers.flush();
      logger.child("sync_engine").info("still logging");
      await shippers.close();
      logger.close();
      const records = lines();
      const warnings = records.filter((r) => r.logger === "repo_cloner.log_shipper");
      assert.ok(warnings.some((w) => expect.test(w.message)), JSON.stringify(warnings));
      assert.ok(warnings.every((w) => w.level === "WARNING" && w.shipper === "splunk"));
      assert.ok(records.some((r) => r.message === "still logging"));
      assert.ok(!readFileSync(logger.file!, "utf8").includes(HEC_TOKEN), "the HEC token is never logged");
      assert.equal(shippers.shippers[0].stats.sent, 0);
    }
    assert.equal(hec.accepted.length, 0);
  } finally {
    await hec.close();
  }
});

Deno.test("CloudWatch Logs: creates the stream, ships 25 000 events in valid PutLogEvents batches", async () => {
  const cw = await startCloudWatchReceiver({ groups: ["/aws/repo-cloner/production"] });
  try {
    const { logger } = makeLogger();
    const integrations = integrationsSchema.parse({
      cloudwatch: {
        log_group: "/aws/repo-cloner/production",
        log_stream: "sync-operations",
        region: "us-east-1",
        endpoint: cw.url,
        batch_size: 10_000,
        flush_interval_seconds: 3600,
      },
    });
    const shippers = attachShippers(logger, integrations, { cloudwatchCredentials: CREDS });
    await logSyncs(logger, 25_000);
    await logSyncs(logger, 30, 40_000); // ~80 KB each: the 1 MB byte limit splits these
    await shippers.close();
    assert.deepEqual(cw.violations, []);
    const events = cw.groups.get("/aws/repo-cloner/production")!.get("sync-operations")!;
    assert.equal(events.length, 25_030);
    assert.equal(cw.operations[0], "CreateLogStream");
    assert.ok(cw.batches.every((n) => n <= 10_000));
    assert.ok(cw.batches.length >= 5, `batches ${cw.batches}`);
    assert.ok(cw.scopes.every((s) => /^AKIDEXAMPLE\/\d{8}\/us-east-1\/logs\/aws4_request$/.test(s)));
    const rec = JSON.parse(events[0].message);
    assert.equal(rec.message, "Repository sync completed");
    assert.equal(rec.repository, "repo-0");
    assert.equal(events[0].timestamp, Date.parse(rec.timestamp));
    assert.ok(events.every((e) => !e.message.includes(CANARY)));
    for (let i = 1; i < events.length; i++) assert.ok(events[i].timestamp >= events[i - 1].timestamp);
  } finally {
    await cw.close();
  }
});

Deno.test("CloudWatch Logs: out-of-order records are sorted; a missing group is created only when allowed", async () => {
  const cw = await startCloudWatchReceiver();
  try {
    // A clock that steps backwards (NTP adjustment): PutLogEvents needs chronological order.
    let t = Date.parse("2025-10-13T15:30:00Z");
    const { logger, lines } = makeLogger({ now: () => new Date(t += (t % 2 === 0 ? -1500 : 1000) + 1) });
    const base = {
      log_group: "/g",
      log_stream: "s",
      region: "eu-west-1",
      endpoint: cw.url,
      timeout_seconds: 5,
    };
    const refused = attachShippers(logger, integrationsSchema.parse({ cloudwatch: base }), {
      cloudwatchCredentials: CREDS,
    });
    await logSyncs(logger, 5);
    await refused.close();
    assert.ok(
      lines().some((r) =>
        /log group "\/g" does not exist\. Create it or set create_log_group: true/.test(r.message)
      ),
    );
    assert.equal(cw.groups.size, 0);

    const shippers = attachShippers(
      logger,
      integrationsSchema.parse({ cloudwatch: { ...base, create_log_group: true } }),
      {
        cloudwatchCredentials: CREDS,
      },
    );
    await logSyncs(logger, 50);
    await shippers.close();
    assert.deepEqual(cw.operations.slice(0, 3), ["CreateLogGroup", "CreateLogStream", "PutLogEvents"]);
    assert.equal(cw.groups.get("/g")?.get("s")?.length, 50);
    assert.ok(cw.scopes.every((s) => s.includes("/eu-west-1/logs/")));
  } finally {
    await cw.close();
  }
});
