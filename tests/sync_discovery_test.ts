/**
 * Discovery through the real clients: a GitLab group with three levels of nested subgroups and more
 * than 60 projects across pages, a GitHub organization across Link-paginated pages, flat-name
 * collisions, overrides, sharding and the dry-run plan.
 */
import assert from "node:assert/strict";
import { GitLabPlatform } from "../src/platforms/gitlab.ts";
import { GitHubPlatform } from "../src/platforms/github.ts";
import { discoverJobs } from "../src/sync/discover.ts";
import { UsageError } from "../src/errors.ts";
import { addCommits, seedHistory } from "./support/forge_repos.ts";
import { SOURCE_TOKEN, startSyncFixture } from "./support/sync_fixture.ts";
import { CANARY } from "./support/binary.ts";

const NESTED = ["backend", "backend/platform", "backend/platform/data", "backend/platform/data/streams"];

Deno.test("discovery: 3 nested subgroups, 64 projects over 4 pages, archived skipped unless asked", async () => {
  const f = await startSyncFixture({ maxPerPage: 20 });
  try {
    for (let i = 0; i < 64; i++) f.gl.addRepo(`${NESTED[i % 4]}/svc-${String(i).padStart(2, "0")}`);
    f.gl.addRepo("backend/platform/retired", { archived: true });
    f.gl.addRepo("frontend/web"); // another group: never listed
    const gl = new GitLabPlatform({
      url: f.gl.url,
      token: SOURCE_TOKEN,
      role: "source",
      tokenOrigin: "GITLAB_TOKEN",
    });
    const repos = await gl.discover("backend");
    assert.equal(repos.length, 64);
    assert.ok(repos.every((r) => r.cloneUrl === `${f.gl.url}/${r.fullPath}.git`));
    assert.ok(repos.some((r) => r.relativePath === "platform/data/streams/svc-03"));
    const pages = f.gl.log.filter((e) => e.path === "/api/v4/groups/backend/projects");
    assert.equal(pages.length, 4, "every page fetched through the Link / x-next-page headers");
    assert.equal((await gl.discover("backend", { includeArchived: true })).length, 65);

    const { jobs } = await discoverJobs([{
      settings: {
        type: "gitlab",
        token: SOURCE_TOKEN,
        tokenOrigin: "x",
        namespaces: ["backend"],
        repositories: [],
        includeArchived: false,
      },
      platform: gl,
      labels: [],
      who: "source",
    }], { overrides: [], maxRetries: 0, backoffMs: 0 });
    const names = jobs.map((j) => j.name);
    assert.ok(names.includes("platform-data-streams-svc-03"));
    assert.equal(new Set(names).size, 64);
  } finally {
    await f.close();
  }
});

Deno.test("discovery: a GitHub organization over Link-paginated pages", async () => {
  const f = await startSyncFixture({ maxPerPage: 10 });
  try {
    for (let i = 0; i < 35; i++) f.gh.addRepo(`myorg/r${i}`, { archived: i === 7 });
    const gh = new GitHubPlatform({
      url: f.gh.url,
      token: CANARY,
      role: "source",
      tokenOrigin: "GITHUB_TOKEN",
    });
    assert.equal(gh.apiUrl, `${f.gh.url}/api/v3`);
    const repos = await gh.discover("myorg");
    assert.equal(repos.length, 34);
    assert.equal(f.gh.log.filter((e) => e.path === "/api/v3/orgs/myorg/repos").length, 4);
    assert.ok(repos.every((r) => r.relativePath === r.name && r.cloneUrl.endsWith(`/myorg/${r.name}.git`)));
  } finally {
    await f.close();
  }
});

Deno.test("discovery: two projects with one flat name are an error naming both; nothing is touched", async () => {
  const f = await startSyncFixture();
  try {
    seedHistory(f.gl.addRepo("backend/payments/api").dir);
    seedHistory(f.gl.addRepo("backend/payments-api").dir);
    const r = await f.run();
    assert.ok(r.error instanceof UsageError, String(r.error));
    assert.match(
      (r.error as Error).message,
      /"backend\/payments-api" and "backend\/payments\/api"|"backend\/payments\/api" and "backend\/payments-api"/,
    );
    assert.deepEqual(f.gl.log.filter((e) => e.op !== "api"), []);
    assert.equal(f.gh.repos.size, 0);
    // repositories[] resolves it: one renamed, and an excluded one is not synced.
    seedHistory(f.gl.addRepo("backend/scratch").dir);
    const r2 = await f.run({
      config: f.config({
        repositories: [
          { source: "backend/payments-api", target: "payments-api-legacy" },
          { source: "scratch", exclude: true },
        ],
      }),
    });
    assert.equal(r2.error, undefined, String(r2.error));
    assert.deepEqual([...f.gh.repos.keys()].sort(), ["myorg/payments-api", "myorg/payments-api-legacy"]);
  } finally {
    await f.close();
  }
});

Deno.test("discovery: --dry-run prints create/push/skip/diverged per repository and changes nothing", async () => {
  const f = await startSyncFixture();
  try {
    seedHistory(f.gl.addRepo("backend/new-one").dir, { commits: 2, tags: ["v1"] });
    const synced = f.gl.addRepo("backend/synced").dir;
    seedHistory(synced, { commits: 1 });
    const forked = f.gl.addRepo("backend/forked").dir;
    seedHistory(forked, { commits: 1 });
    await f.run({ config: f.config({ repositories: [{ source: "new-one", exclude: true }] }) });
    addCommits(forked, "main", 1, { label: "src" });
    const targetTip = addCommits(f.gh.repos.get("myorg/forked")!.dir, "main", 1, { label: "tgt" });
    const marks = {
      gh: f.gh.log.length,
      ghRepos: f.gh.repos.size,
      refs: JSON.stringify(f.gh.refs("myorg/synced")),
    };
    const r = await f.run({ flags: { dryRun: true } });
    assert.equal(r.error, undefined, String(r.error));
    assert.match(r.out, /Mode: dry run \(nothing will be changed\)/);
    assert.match(
      r.out,
      /\] new-one\.\.\. → create http:\/\/127\.0\.0\.1:\d+\/myorg\/new-one\.git; push 1 branch, 1 tag \(2 commits\)\n/,
    );
    assert.match(r.out, /\] synced\.\.\. → skip \(up to date\)\n/);
    assert.match(r.out, /\] forked\.\.\. → diverged: main\n/);
    assert.equal(f.gh.refs("myorg/forked")["refs/heads/main"], targetTip);
    assert.match(r.out, /✅ Dry run complete: nothing was changed/);
    const newGh = f.gh.log.slice(marks.gh);
    assert.deepEqual(newGh.filter((e) => e.op === "push" || (e.op === "api" && e.method !== "GET")), []);
    assert.equal(f.gh.repos.size, marks.ghRepos);
    assert.equal(JSON.stringify(f.gh.refs("myorg/synced")), marks.refs);
    assert.ok(r.log.some((e) => e.message === "Repository sync planned" && e.repository === "new-one"));
  } finally {
    await f.close();
  }
});

Deno.test("discovery: --shard K/N splits the repositories without overlap", async () => {
  const f = await startSyncFixture();
  try {
    for (let i = 0; i < 12; i++) f.gl.addRepo(`backend/s${i}`);
    const planned: string[][] = [];
    for (let k = 1; k <= 3; k++) {
      const r = await f.run({ flags: { dryRun: true, shard: `${k}/3` } });
      assert.equal(r.error, undefined, String(r.error));
      assert.match(r.out, new RegExp(`✓ Shard ${k}/3: ${r.result.total} of 12 repositories`));
      planned.push(r.result.repositories.map((x) => x.repository));
    }
    const all = planned.flat().sort();
    assert.deepEqual(all, Array.from({ length: 12 }, (_, i) => `s${i}`).sort());
    assert.ok(planned.every((p) => p.length < 12), "one shard took everything");
  } finally {
    await f.close();
  }
});

Deno.test("discovery: a hostile clone URL from the API is refused before any git runs", async () => {
  const f = await startSyncFixture();
  try {
    f.gl.addRepo("backend/evil", { cloneUrl: "ext::sh -c touch% /tmp/rc-pwned" });
    f.gl.addRepo("backend/sneaky", { cloneUrl: `http://user:pass@${f.gl.host}/backend/sneaky.git` });
    for (const repos of [["sneaky"], ["evil"]]) {
      const r = await f.run({
        config: f.config({
          repositories: repos.map((x) => ({ source: x === "evil" ? "sneaky" : "evil", exclude: true })),
        }),
      });
      assert.ok(r.error instanceof UsageError, String(r.error));
      assert.match(
        (r.error as Error).message,
        new RegExp(`"backend/${repos[0]}": the server returned an unsafe clone URL`),
      );
    }
    assert.deepEqual(f.gl.log.filter((e) => e.op !== "api"), []);
    assert.equal(f.gh.repos.size, 0);
  } finally {
    await f.close();
  }
});
