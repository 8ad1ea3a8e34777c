import assert from "node:assert/strict";
import { RepoClonerMetrics } from "./registry.ts";

const at = new Date("2025-10-13T15:30:01.456Z");

Deno.test("recordSync() counts successes, failures, commits, branches, retries and conflicts", async () => {
  const m = new RepoClonerMetrics({ version: "9.9.9", now: () => at });
  m.recordSync({
    repository: "a",
    status: "success",
    durationSeconds: 2.3,
    commits: 42,
    branches: 3,
    retries: 1,
  });
  m.recordSync({ repository: "a", status: "failure", durationSeconds: 5, retries: 3 });
  m.recordSync({
    repository: "b",
    status: "success",
    durationSeconds: -1,
    commits: Number.NaN,
    conflicts: 2,
  });
  const text = await m.text();
  for (
    const line of [
      'repo_cloner_sync_duration_seconds{repository="a"} 5',
      'repo_cloner_sync_duration_seconds{repository="b"} 0',
      'repo_cloner_sync_success_total{repository="a"} 1',
      'repo_cloner_sync_failure_total{repository="a"} 1',
      "repo_cloner_repositories_synced_total 2",
      "repo_cloner_commits_synced_total 42",
      "repo_cloner_branches_synced_total 3",
      'repo_cloner_retries_total{repository="a"} 4',
      'repo_cloner_conflicts_total{repository="b"} 2',
      'repo_cloner_last_success_timestamp_seconds{repository="a"} 1760369401.456',
      'repo_cloner_build_info{version="9.9.9"} 1',
    ]
  ) assert.ok(text.includes(`\n${line}\n`), `missing ${line}\n${text}`);
  assert.ok(!text.includes('repo_cloner_sync_failure_total{repository="b"}'));
});

Deno.test("label values are escaped per the exposition format", async () => {
  const m = new RepoClonerMetrics();
  m.recordSync({ repository: 'we"ird\\name\nx', status: "success", durationSeconds: 1 });
  assert.ok((await m.text()).includes('repo_cloner_sync_success_total{repository="we\\"ird\\\\name\\nx"} 1'));
});

Deno.test("recordRun() counts consecutive failed runs; any other outcome resets", () => {
  const m = new RepoClonerMetrics();
  m.recordRun("failure");
  m.recordRun("failure");
  assert.equal(m.consecutiveFailedRuns, 2);
  m.recordRun("interrupted");
  assert.equal(m.consecutiveFailedRuns, 2, "an interrupted run neither fails nor resets the streak");
  m.recordRun("partial");
  assert.equal(m.consecutiveFailedRuns, 0);
});

Deno.test("snapshot()/restore() carry every series into a new registry and skip bad entries", async () => {
  const m = new RepoClonerMetrics({ now: () => at });
  m.recordSync({ repository: "a", status: "success", durationSeconds: 2, commits: 5 });
  m.recordArchive({ type: "incremental", sizeBytes: 1000, durationSeconds: 1.5 });
  m.recordRun("failure");
  const snap = await m.snapshot();
  assert.equal(snap.metrics.repo_cloner_build_info, undefined);
  snap.metrics.repo_cloner_commits_synced_total.push({ labels: {}, value: -5 });
  snap.metrics.repo_cloner_sync_success_total.push({ labels: { nope: "x" }, value: 3 });
  snap.metrics.unknown_metric = [{ labels: {}, value: 1 }];
  const n = new RepoClonerMetrics({ now: () => at });
  n.restore(JSON.parse(JSON.stringify(snap)));
  n.recordSync({ repository: "a", status: "success", durationSeconds: 1, commits: 1 });
  const text = await n.text();
  assert.ok(text.includes('repo_cloner_sync_success_total{repository="a"} 2'), text);
  assert.ok(text.includes("repo_cloner_commits_synced_total 6"));
  assert.ok(text.includes('repo_cloner_archive_size_bytes{type="incremental"} 1000'));
  assert.ok(!text.includes("unknown_metric"));
  assert.equal(n.consecutiveFailedRuns, 1);
});
