import assert from "node:assert/strict";
import type { AlertEvent } from "./alert_event.ts";
import { slackEscape, slackMessages } from "./slack.ts";

const at = new Date("2025-10-13T15:32:45.678Z");
const failure: AlertEvent = {
  repository: "backend-auth-service",
  kind: "failure",
  error: "NetworkError: Connection timeout",
  errorType: "NetworkError",
  sessionId: "sync-20251013-153000",
  logFile: "/var/log/repo-cloner/sync-20251013-153000.log",
  at,
};

Deno.test("slackMessages() renders the spec's alert exactly", () => {
  const [p] = slackMessages([failure], {
    channel: "#platform-alerts",
    mention_on_failure: "@platform-oncall",
  });
  assert.equal(
    p.text,
    [
      "🚨 Repository Sync Failed",
      "",
      "Repository: backend-auth-service",
      "Error: NetworkError: Connection timeout",
      "Session ID: sync-20251013-153000",
      "Time: 2025-10-13 15:32:45 UTC",
      "",
      "Logs: /var/log/repo-cloner/sync-20251013-153000.log",
      "",
      "@platform-oncall",
    ].join("\n"),
  );
  assert.equal(p.channel, "#platform-alerts");
  assert.equal(p.link_names, true);
});

Deno.test("slackMessages() escapes mrkdwn and maps special mentions", () => {
  const [p] = slackMessages([{ ...failure, error: "Error: <script> & co" }], { mention_on_failure: "@here" });
  assert.match(p.text, /Error: Error: &lt;script&gt; &amp; co/);
  assert.ok(p.text.endsWith("\n\n<!here>"));
  assert.equal(p.link_names, undefined);
  const [q] = slackMessages([failure], { mention_on_failure: "<!subteam^S123>" });
  assert.ok(q.text.endsWith("\n\n<!subteam^S123>"));
  assert.equal(slackEscape("a<b>&"), "a&lt;b&gt;&amp;");
});

Deno.test("slackMessages() sends one message per repository up to 5, then one summary", () => {
  const events = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ ...failure, repository: `repo-${i}` }));
  assert.equal(slackMessages(events(5), {}).length, 5);
  const many = slackMessages(events(25), {});
  assert.equal(many.length, 1);
  assert.match(
    many[0].text,
    /^🚨 Repository Sync Failed: 25 repositories\n\nRepositories:\n• repo-0: NetworkError/,
  );
  assert.match(many[0].text, /…and 5 more/);
});

Deno.test("slackMessages() renders a recovery without mention", () => {
  const [p] = slackMessages([{
    ...failure,
    kind: "recovery",
    error: undefined,
    failingSince: new Date("2025-10-13T14:00:00Z"),
  }], { mention_on_failure: "@platform-oncall" });
  assert.match(
    p.text,
    /^✅ Repository Sync Recovered\n\nRepository: backend-auth-service\nFailing since: 2025-10-13 14:00:00 UTC\n/,
  );
  assert.ok(!p.text.includes("@platform-oncall"));
});

Deno.test("slackMessages() gives a run-level transition its own message, apart from the repository summary", () => {
  const run: AlertEvent = {
    ...failure,
    repository: "run:gitlab.example.com/backend",
    run: true,
    error: "AuthenticationError: Cannot check the token",
  };
  const repos = Array.from({ length: 6 }, (_, i) => ({ ...failure, repository: `repo-${i}` }));
  const out = slackMessages([run, ...repos], { mention_on_failure: "@here" });
  assert.equal(out.length, 2);
  assert.equal(
    out[0].text,
    "🚨 Sync Run Failed\n\nRun: gitlab.example.com/backend\nError: AuthenticationError: Cannot check the token\n" +
      "Session ID: sync-20251013-153000\nTime: 2025-10-13 15:32:45 UTC\n\n" +
      "Logs: /var/log/repo-cloner/sync-20251013-153000.log\n\n<!here>",
  );
  assert.match(out[1].text, /^🚨 Repository Sync Failed: 6 repositories\n/);
  assert.ok(!out[1].text.includes("run:"));
});
