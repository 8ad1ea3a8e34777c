import assert from "node:assert/strict";
import { pagerDutyEvent } from "./pagerduty.ts";
import type { AlertEvent } from "./alert_event.ts";

const config = {
  integration_key: "0123456789abcdef0123456789abcdef",
  severity: "critical" as const,
  dedup_key_prefix: "repo-cloner",
};
const event: AlertEvent = {
  repository: "backend-auth-service",
  kind: "failure",
  error: "NetworkError: Connection timeout",
  errorType: "NetworkError",
  sessionId: "sync-20251013-153000",
  logFile: "/tmp/x.log",
  at: new Date("2025-10-13T15:32:45Z"),
};

Deno.test("pagerDutyEvent() builds a v2 trigger with a per-repository dedup key", () => {
  const e = pagerDutyEvent(event, config, { hostname: "runner-1" });
  assert.equal(e.event_action, "trigger");
  assert.equal(e.routing_key, config.integration_key);
  assert.equal(e.dedup_key, "repo-cloner/backend-auth-service");
  assert.equal(e.payload?.severity, "critical");
  assert.equal(e.payload?.source, "runner-1");
  assert.equal(
    e.payload?.summary,
    "Repository sync failed: backend-auth-service: NetworkError: Connection timeout",
  );
  assert.equal(e.payload?.class, "NetworkError");
  assert.equal(e.payload?.custom_details.session_id, "sync-20251013-153000");
});

Deno.test("pagerDutyEvent() resolves with the same dedup key and clips long summaries", () => {
  const r = pagerDutyEvent({ ...event, kind: "recovery" }, config, { hostname: "h" });
  assert.deepEqual(r, {
    routing_key: config.integration_key,
    event_action: "resolve",
    dedup_key: "repo-cloner/backend-auth-service",
  });
  const long = pagerDutyEvent({ ...event, error: "x".repeat(5000) }, config, { hostname: "h" });
  assert.equal(long.payload?.summary.length, 1024);
});

Deno.test("pagerDutyEvent() keys a run-level alert `<prefix>/run:<scope>` and names the run", () => {
  const e = pagerDutyEvent(
    {
      repository: "run:gitlab.example.com/backend",
      run: true,
      kind: "failure",
      error: "AuthenticationError: token rejected",
      sessionId: "sync-20251013-153000",
      at: new Date("2025-10-13T15:32:45Z"),
    },
    {
      integration_key: "R0123456789abcdef0123456789abcde",
      severity: "error",
      dedup_key_prefix: "repo-cloner",
    },
    { hostname: "runner-1" },
  );
  assert.equal(e.dedup_key, "repo-cloner/run:gitlab.example.com/backend");
  assert.equal(
    e.payload?.summary,
    "Sync run failed: gitlab.example.com/backend: AuthenticationError: token rejected",
  );
  assert.equal(e.payload?.component, "run");
  assert.equal(e.payload?.custom_details.run, "gitlab.example.com/backend");
  assert.equal(e.payload?.custom_details.repository, undefined);
});
