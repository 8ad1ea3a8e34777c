/**
 * Run-level alerts with the compiled binary: a sync whose source token is rejected at the auth check
 * stops before any repository result, so no repository alert can fire; the run itself alerts once
 * (Slack "🚨 Sync Run Failed", PagerDuty trigger with dedup key `repo-cloner/run:<sources>`), stays
 * quiet while it keeps failing, and resolves once when a run goes through again.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { seedHistory } from "./support/forge_repos.ts";
import { startForge } from "./support/forge.ts";
import { CANARY, runBinary, tempDir } from "./support/binary.ts";
import { SOURCE_TOKEN } from "./support/sync_fixture.ts";
import { startPagerDutyReceiver, startSlackReceiver } from "./support/receivers.ts";

const HOOK = "/services/T0000/B0000/run-alert-hook";
const PD_KEY = "R0123456789abcdef0123456789abcde";
const REVOKED = "glpat-revoked-tok-91c3e0";

Deno.test("a run that fails before any repository result alerts once and resolves once", async () => {
  const gl = await startForge({ flavor: "gitlab", tokens: [SOURCE_TOKEN] });
  const gh = await startForge({ flavor: "github", tokens: [CANARY] });
  const slack = await startSlackReceiver(HOOK);
  const pd = await startPagerDutyReceiver();
  try {
    gl.addNamespace("backend");
    gh.addNamespace("myorg");
    seedHistory(gl.addRepo("backend/auth-service").dir, { commits: 1 });
    const dir = tempDir("rc-run-alert-");
    const config = join(dir, "config.yml");
    writeFileSync(
      config,
      `sources:
  - { type: gitlab, url: "${gl.url}", token: "\${GITLAB_TOKEN}", groups: [backend] }
targets:
  - { type: github, url: "${gh.url}", organization: myorg, token: "\${GITHUB_TOKEN}" }
sync: { state_dir: "${join(dir, "state")}", cache_dir: "${join(dir, "cache")}" }
concurrency: { max_retries: 0, timeout_per_repo_seconds: 60 }
error_handling:
  notifications:
    slack: { webhook_url: "${slack.url + HOOK}", mention_on_failure: "@platform-oncall" }
    pagerduty: { integration_key: "${PD_KEY}", events_url: "${pd.url}/v2/enqueue" }
`,
    );
    const run = (token: string) =>
      runBinary(["sync", "--config", config, "--log-file", join(dir, "sync.log")], {
        env: { GITLAB_TOKEN: token, GITHUB_TOKEN: CANARY },
      });

    const r1 = await run(REVOKED);
    assert.equal(r1.code, 5, r1.stdout + r1.stderr);
    assert.deepEqual([...slack.violations, ...pd.violations], []);
    assert.equal(slack.accepted.length, 1);
    const text = String(slack.accepted[0].text);
    assert.match(
      text,
      new RegExp(
        `^🚨 Sync Run Failed\\n\\nRun: ${gl.host.replace(/\./g, "\\.")}/backend\\n` +
          `Error: AuthenticationError: Cannot check the token: the source token for GitLab .+ was rejected .+\\n` +
          `Session ID: sync-\\d{8}-\\d{6}\\nTime: .+ UTC\\n\\nLogs: .+sync\\.log\\n\\n@platform-oncall$`,
      ),
    );
    assert.equal(pd.accepted.length, 1);
    const trigger = pd.accepted[0] as {
      event_action: string;
      dedup_key: string;
      payload: { summary: string; component: string; custom_details: Record<string, string> };
    };
    assert.equal(trigger.event_action, "trigger");
    assert.equal(trigger.dedup_key, `repo-cloner/run:${gl.host}/backend`);
    assert.match(trigger.payload.summary, /^Sync run failed: .+\/backend: AuthenticationError: /);
    assert.equal(trigger.payload.component, "run");
    assert.equal(trigger.payload.custom_details.run, `${gl.host}/backend`);

    // Still failing: one incident, not one per run.
    const r2 = await run(REVOKED);
    assert.equal(r2.code, 5);
    assert.equal(slack.accepted.length, 1);
    assert.equal(pd.accepted.length, 1);

    // The token is fixed: the run goes through, one recovery, one resolve with the same key.
    const r3 = await run(SOURCE_TOKEN);
    assert.equal(r3.code, 0, r3.stdout + r3.stderr);
    assert.equal(slack.accepted.length, 2);
    assert.match(
      String(slack.accepted[1].text),
      /^✅ Sync Run Recovered\n\nRun: .+\/backend\nFailing since: /,
    );
    assert.deepEqual(pd.accepted[1], {
      routing_key: PD_KEY,
      event_action: "resolve",
      dedup_key: `repo-cloner/run:${gl.host}/backend`,
    });

    // Healthy again: nothing more.
    const r4 = await run(SOURCE_TOKEN);
    assert.equal(r4.code, 0);
    assert.equal(slack.accepted.length + pd.accepted.length, 4);

    const everything = [r1, r2, r3, r4].flatMap((r) => [r.stdout, r.stderr])
      .concat([slack, pd].flatMap((r) => r.requests.map((q) => q.body))).join("\n");
    for (const secret of [CANARY, SOURCE_TOKEN, REVOKED]) {
      assert.ok(!everything.includes(secret), `${secret} leaked`);
    }
  } finally {
    await slack.close();
    await pd.close();
    await gl.close();
    await gh.close();
  }
});
