/** GitHub organization → GitLab (nested) group through octokit, @gitbeaker/rest and git. */
import assert from "node:assert/strict";
import { addCommits, seedHistory } from "./support/forge_repos.ts";
import { SOURCE_TOKEN, startSyncFixture } from "./support/sync_fixture.ts";
import { CANARY } from "./support/binary.ts";

Deno.test("sync GitHub → GitLab: creates projects in a nested group, then syncs only what changed", async () => {
  const f = await startSyncFixture();
  try {
    f.gl.addNamespace("mirrors/github");
    const web = f.gh.addRepo("myorg/web", { description: "Web front end" }).dir;
    seedHistory(web, { commits: 2, branches: ["release"], tags: ["v3"] });
    seedHistory(f.gh.addRepo("myorg/docs").dir, { commits: 1 });
    f.gh.addRepo("myorg/museum", { archived: true });
    const config = {
      sources: [{
        type: "github" as const,
        url: f.gh.url,
        token: SOURCE_TOKEN,
        organizations: ["myorg"],
        include_archived: false,
      }],
      targets: [{ type: "gitlab" as const, url: f.gl.url, namespace: "mirrors/github", token: CANARY }],
      concurrency: { max_parallel: 2, timeout_per_repo_seconds: 30, retry_backoff_seconds: 0.05 },
    };
    const r = await f.run({ config });
    assert.equal(r.error, undefined, String(r.error));
    assert.match(r.out, /🚀 Starting GitHub → GitLab Synchronization\n/);
    assert.match(r.out, /✓ Found 2 repositories in myorg\n/);
    assert.equal(r.result.successful, 2);
    const project = f.gl.repos.get("mirrors/github/web")!;
    assert.equal(project.description, "Web front end");
    assert.equal(project.visibility, "private");
    assert.deepEqual(f.gl.refs("mirrors/github/web"), f.gh.refs("myorg/web"));
    assert.ok(f.gl.log.some((e) => e.method === "POST" && e.path === "/api/v4/projects"));
    assert.equal(f.gl.repos.get("mirrors/github/museum"), undefined);
    const ev = r.log.find((e) => e.message === "Synchronization session started")!;
    assert.equal(ev.logger, "repo_cloner.workflows.github_to_gitlab");

    addCommits(web, "release", 2);
    const mark = { gh: f.gh.log.length, gl: f.gl.log.length };
    const r2 = await f.run({ config });
    assert.equal(r2.error, undefined);
    const web2 = r2.result.repositories.find((x) => x.repository === "web")!;
    assert.deepEqual([web2.commits_synced, web2.branches_synced, web2.up_to_date], [2, 1, false]);
    const docs2 = r2.result.repositories.find((x) => x.repository === "docs")!;
    assert.equal(docs2.up_to_date, true);
    assert.deepEqual(f.gl.refs("mirrors/github/web"), f.gh.refs("myorg/web"));
    const fetches = f.gh.log.slice(mark.gh).filter((e) => e.op === "fetch");
    assert.deepEqual(
      fetches.map((e) => e.repo),
      ["myorg/web"],
      "only the changed repository is fetched, once",
    );
    assert.deepEqual(f.gl.log.slice(mark.gl).filter((e) => e.op === "push").map((e) => e.repo), [
      "mirrors/github/web",
    ]);
  } finally {
    await f.close();
  }
});
