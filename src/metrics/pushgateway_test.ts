import assert from "node:assert/strict";
import { pushgatewayGroupUrl } from "./pushgateway.ts";

Deno.test("pushgatewayGroupUrl() builds /metrics/job/<job>/<label>/<value> with base64 where needed", async (t) => {
  const cases: [string, string, Record<string, string>, string][] = [
    ["http://gw:9091", "repo-cloner", {}, "http://gw:9091/metrics/job/repo-cloner"],
    [
      "http://gw:9091/",
      "repo-cloner",
      { site: "dc 1" },
      "http://gw:9091/metrics/job/repo-cloner/site/dc%201",
    ],
    [
      "http://gw:9091/prefix/",
      "j",
      { shard: "1/4" },
      "http://gw:9091/prefix/metrics/job/j/shard@base64/MS80",
    ],
    ["https://u:p@gw", "j", { empty: "" }, "https://gw/metrics/job/j/empty@base64/="],
    ["http://gw", "a/b", {}, "http://gw/metrics/job@base64/YS9i"],
  ];
  for (const [base, job, grouping, want] of cases) {
    await t.step(`${base} ${job} ${JSON.stringify(grouping)}`, () => {
      assert.equal(pushgatewayGroupUrl(base, job, grouping).toString(), want);
    });
  }
});

Deno.test("pushgatewayGroupUrl() refuses non-http URLs and bad label names", () => {
  assert.throws(() => pushgatewayGroupUrl("ftp://gw", "j"), TypeError);
  assert.throws(
    () => pushgatewayGroupUrl("http://gw", "j", { "bad-name": "x" }),
    /not a valid grouping label/,
  );
  assert.throws(() => pushgatewayGroupUrl("http://gw", "j", { job: "x" }), TypeError);
});
