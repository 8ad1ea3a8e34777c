/**
 * The validating receivers must reject what the real services reject; otherwise the ops tests could
 * pass with payloads Slack, PagerDuty, Splunk or CloudWatch would refuse.
 */
import assert from "node:assert/strict";
import { startCloudWatchReceiver } from "./support/cloudwatch_receiver.ts";
import {
  splitConcatenatedJson,
  startPagerDutyReceiver,
  startSlackReceiver,
  startSplunkReceiver,
} from "./support/receivers.ts";

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return { status: res.status, body: await res.text() };
}

Deno.test("Slack receiver rejects messages without text or blocks and unknown webhooks", async () => {
  const r = await startSlackReceiver("/services/T/B/X");
  try {
    assert.equal((await post(`${r.url}/services/T/B/X`, JSON.stringify({ channel: "#a" }))).body, "no_text");
    assert.equal((await post(`${r.url}/services/T/B/Y`, JSON.stringify({ text: "hi" }))).status, 404);
    assert.equal((await post(`${r.url}/services/T/B/X`, "not json")).status, 400);
    assert.deepEqual(await post(`${r.url}/services/T/B/X`, JSON.stringify({ text: "hi" })), {
      status: 200,
      body: "ok",
    });
    assert.equal(r.violations.length, 3);
  } finally {
    await r.close();
  }
});

Deno.test("PagerDuty receiver enforces the Events API v2 schema", async () => {
  const r = await startPagerDutyReceiver();
  const key = "a".repeat(32);
  const good = {
    routing_key: key,
    event_action: "trigger",
    dedup_key: "x",
    payload: { summary: "s", source: "h", severity: "error" },
  };
  try {
    const url = `${r.url}/v2/enqueue`;
    for (
      const bad of [
        { ...good, routing_key: "short" },
        { ...good, event_action: "fire" },
        { ...good, payload: { ...good.payload, severity: "fatal" } },
        { ...good, payload: { summary: "s", severity: "error" } },
        { ...good, payload: { ...good.payload, summary: "x".repeat(1025) } },
        { routing_key: key, event_action: "resolve" },
        { ...good, extra: 1 },
      ]
    ) assert.equal((await post(url, JSON.stringify(bad))).status, 400, JSON.stringify(bad));
    const ok = await post(url, JSON.stringify(good));
    assert.equal(ok.status, 202);
    assert.equal(JSON.parse(ok.body).status, "success");
    assert.equal(r.violations.length, 7);
  } finally {
    await r.close();
  }
});

Deno.test("Splunk receiver checks the token and each envelope", async () => {
  const r = await startSplunkReceiver("tok", { indexes: ["main"] });
  const url = `${r.url}/services/collector/event`;
  const auth = { authorization: "Splunk tok" };
  try {
    assert.equal((await post(url, '{"event":"x"}')).status, 401);
    assert.equal((await post(url, '{"event":"x"}', { authorization: "Splunk nope" })).status, 403);
    assert.match((await post(url, '{"time":1}', auth)).body, /Event field is required/);
    assert.match((await post(url, '{"event":""}', auth)).body, /cannot be blank/);
    assert.match((await post(url, '{"event":"x","index":"other"}', auth)).body, /Incorrect index/);
    assert.match((await post(url, '{"event":"x","time":"now"}', auth)).body, /Invalid data format/);
    assert.match((await post(url, '{"event":"x"} junk', auth)).body, /Invalid data format/);
    assert.equal((await post(url, '{"event":{"a":"}{"}}\n{"event":"y","index":"main"}', auth)).status, 200);
    assert.equal(r.accepted.length, 2);
    assert.deepEqual(splitConcatenatedJson('{"a":"\\"}"} {"b":1}'), ['{"a":"\\"}"}', '{"b":1}']);
  } finally {
    await r.close();
  }
});

Deno.test("CloudWatch receiver enforces PutLogEvents order, size and span limits", async () => {
  const r = await startCloudWatchReceiver({ groups: ["g"] });
  const headers = {
    "content-type": "application/x-amz-json-1.1",
    "x-amz-date": "20251013T153000Z",
    authorization:
      `AWS4-HMAC-SHA256 Credential=AKID/20251013/us-east-1/logs/aws4_request, SignedHeaders=host, Signature=${
        "0".repeat(64)
      }`,
  };
  const call = (op: string, body: unknown) =>
    fetch(`${r.url}/`, {
      method: "POST",
      headers: { ...headers, "x-amz-target": `Logs_20140328.${op}` },
      body: JSON.stringify(body),
    }).then(async (res) => ({
      status: res.status,
      type: res.headers.get("x-amzn-errortype"),
      body: await res.text(),
    }));
  const put = (logEvents: unknown[]) =>
    call("PutLogEvents", { logGroupName: "g", logStreamName: "s", logEvents });
  try {
    assert.equal((await put([{ timestamp: 1, message: "m" }])).type, "ResourceNotFoundException");
    assert.equal((await call("CreateLogStream", { logGroupName: "g", logStreamName: "s" })).status, 200);
    assert.equal(
      (await call("CreateLogStream", { logGroupName: "g", logStreamName: "s" })).type,
      "ResourceAlreadyExistsException",
    );
    const t = Date.parse("2025-10-13T15:30:00Z");
    assert.match(
      (await put([{ timestamp: t + 1, message: "b" }, { timestamp: t, message: "a" }])).body,
      /chronological/,
    );
    assert.match(
      (await put([{ timestamp: t, message: "a" }, { timestamp: t + 86_400_001, message: "b" }])).body,
      /24 hours/,
    );
    const big = "x".repeat(200_000);
    assert.match(
      (await put(Array.from({ length: 6 }, () => ({ timestamp: t, message: big })))).body,
      /over 1048576/,
    );
    assert.equal((await put([])).status, 400);
    assert.equal(
      (await put(Array.from({ length: 10_001 }, () => ({ timestamp: t, message: "m" })))).status,
      400,
    );
    const unsigned = await fetch(`${r.url}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "Logs_20140328.PutLogEvents" },
      body: "{}",
    });
    await unsigned.body?.cancel();
    assert.equal(unsigned.status, 403);
    assert.equal((await put([{ timestamp: t, message: "a" }, { timestamp: t, message: "b" }])).status, 200);
    assert.equal(r.groups.get("g")?.get("s")?.length, 2);
  } finally {
    await r.close();
  }
});
