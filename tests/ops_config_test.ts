/** The operations config: the spec's example loads; mistakes are named with their key and line. */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadConfigFile } from "../src/config/load.ts";
import { redactor } from "../src/log/redact.ts";

const EXAMPLE = resolve(import.meta.dirname ?? ".", "../examples/configs/production-sync-with-logging.yml");
const ENV = {
  GITLAB_TOKEN: "glpat-example-token",
  GITHUB_TOKEN: "ghp_example_token",
  SPLUNK_HEC_TOKEN: "splunk-hec-example-token",
  SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T000/B000/slack-secret-path",
  PAGERDUTY_KEY: "0123456789abcdef0123456789abcdef",
};

function write(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), "rc-opscfg-")), "c.yml");
  writeFileSync(p, text);
  return p;
}

Deno.test("examples/configs/production-sync-with-logging.yml loads with the spec's values", () => {
  const c = loadConfigFile(EXAMPLE, ENV);
  assert.deepEqual(
    c.logging?.integrations?.cloudwatch && {
      log_group: c.logging.integrations.cloudwatch.log_group,
      log_stream: c.logging.integrations.cloudwatch.log_stream,
      region: c.logging.integrations.cloudwatch.region,
    },
    { log_group: "/aws/repo-cloner/production", log_stream: "sync-operations", region: "us-east-1" },
  );
  assert.equal(c.logging?.integrations?.splunk?.index, "repo-cloner");
  assert.equal(c.logging?.integrations?.splunk?.sourcetype, "repo_cloner");
  assert.equal(c.error_handling?.notifications?.slack?.channel, "#platform-alerts");
  assert.equal(c.error_handling?.notifications?.slack?.mention_on_failure, "@platform-oncall");
  assert.equal(c.error_handling?.notifications?.pagerduty?.severity, "error");
  assert.equal(
    c.error_handling?.notifications?.pagerduty?.events_url,
    "https://events.pagerduty.com/v2/enqueue",
  );
  assert.equal(c.metrics?.listen, "127.0.0.1:9464");
  assert.equal(c.metrics?.unhealthy_after, 3);
  // Secrets found in the config are redacted everywhere from now on.
  const line = redactor.redact(
    `posting to ${ENV.SLACK_WEBHOOK_URL} with ${ENV.SPLUNK_HEC_TOKEN} ${ENV.PAGERDUTY_KEY}`,
  );
  assert.equal(line, "posting to *** with *** ***");
});

Deno.test("operations config mistakes are named with key and line", async (t) => {
  const cases: [string, string, RegExp][] = [
    ["unknown metrics key", "metrics:\n  textfil: /x.prom\n", /unknown key "metrics\.textfil".*|line 2/],
    [
      "unknown slack key",
      "error_handling:\n  notifications:\n    slack:\n      webhook: https://x\n",
      /unknown key "error_handling\.notifications\.slack\.webhook"/,
    ],
    [
      "enabled slack without webhook_url",
      "error_handling:\n  notifications:\n    slack:\n      channel: '#a'\n",
      /key "error_handling\.notifications\.slack\.webhook_url": required when enabled/,
    ],
    [
      "short PagerDuty key",
      "error_handling:\n  notifications:\n    pagerduty:\n      integration_key: abc\n",
      /32-character Integration Key/,
    ],
    [
      "bad severity",
      `error_handling:\n  notifications:\n    pagerduty:\n      integration_key: ${
        "a".repeat(32)
      }\n      severity: fatal\n`,
      /key "error_handling\.notifications\.pagerduty\.severity"/,
    ],
    [
      "cloudwatch without log_group",
      "logging:\n  integrations:\n    cloudwatch:\n      log_stream: s\n      region: us-east-1\n",
      /key "logging\.integrations\.cloudwatch\.log_group": required when enabled/,
    ],
    ["bad listen", "metrics:\n  listen: everywhere\n", /key "metrics\.listen": must be host:port/],
    [
      "pushgateway not http",
      "metrics:\n  pushgateway_url: ftp://gw\n",
      /key "metrics\.pushgateway_url": must be an http\(s\) URL/,
    ],
    [
      "unknown integration",
      "logging:\n  integrations:\n    elk: {}\n",
      /unknown key "logging\.integrations\.elk"/,
    ],
  ];
  for (const [name, yaml, want] of cases) {
    await t.step(name, () => assert.throws(() => loadConfigFile(write(yaml), {}), want));
  }
  await t.step("disabled sections may leave credentials empty", () => {
    const c = loadConfigFile(
      write("error_handling:\n  notifications:\n    slack:\n      enabled: false\n      webhook_url: ''\n"),
      {},
    );
    assert.equal(c.error_handling?.notifications?.slack?.enabled, false);
  });
});
