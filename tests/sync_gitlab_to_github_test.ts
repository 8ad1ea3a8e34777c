/**
 * GitLab group → GitHub organization through the real octokit, @gitbeaker/rest and git against the
 * forge emulator: creation, ref selection, incremental runs, target-only and diverged branches.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { addCommits, addTag, gitIn, seedHistory, setRef, tipOf } from "./support/forge_repos.ts";
import { startSyncFixture } from "./support/sync_fixture.ts";
import { CANARY } from "./support/binary.ts";

const LINE = /^ {3}\[(\d+)\/(\d+)\] (\S+)\.\.\. ✓ \((\d+) commits?, (\d+) branch(?:es)?, \d+\.\ds\)$/;

Deno.test("sync: creates missing repositories, flattens subgroups, pushes only heads and tags", async () => {
  const f = await startSyncFixture();
  try {
    const auth = f.gl.addRepo("backend/auth-service", { description: "Authentication service" });
    const { main } = seedHistory(auth.dir, { commits: 3, branches: ["dev"], tags: ["v1.0"] });
    const mrOnly = addCommits(auth.dir, "mr-scratch", 2, { from: main, label: "mr" });
    setRef(auth.dir, "refs/merge-requests/1/head", mrOnly);
    setRef(auth.dir, `refs/keep-around/${mrOnly}`, mrOnly);
    setRef(auth.dir, "refs/pipelines/9", mrOnly);
    gitIn(auth.dir, ["update-ref", "-d", "refs/heads/mr-scratch"]);
    f.gl.addRepo("backend/payments/api").dir;
    seedHistory(f.gl.repos.get("backend/payments/api")!.dir, { commits: 2 });
    f.gl.addRepo("backend/old-stuff", { archived: true });
    // Already exists on the target (empty): must be used, not re-created.
    f.gh.addRepo("myorg/payments-api", { description: "kept" });

    const r = await f.run();
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(r.result.total, 2, r.out);
    assert.equal(r.result.successful, 2);

    // Refs: heads and tags only, identical to the source's.
    const src = f.gl.refs("backend/auth-service");
    const expected = Object.fromEntries(Object.entries(src).filter(([k]) => /^refs\/(heads|tags)\//.test(k)));
    assert.deepEqual(f.gh.refs("myorg/auth-service"), expected);
    assert.deepEqual(Object.keys(f.gh.refs("myorg/payments-api")), ["refs/heads/main"]);
    assert.equal(f.gh.repos.get("myorg/old-stuff"), undefined, "archived projects are skipped");

    // Created private with the description copied; the existing one left as it was.
    const created = f.gh.repos.get("myorg/auth-service")!;
    assert.equal(created.visibility, "private");
    assert.equal(created.description, "Authentication service");
    assert.equal(f.gh.repos.get("myorg/payments-api")!.description, "kept");
    assert.equal(f.gh.ops("api").filter((e) => e.method === "POST").length, 1);

    // The mirror cache never downloaded merge-request/keep-around refs nor their commits.
    const mirror = join(f.cacheDir, "mirrors", f.gl.host.replace(":", "_"), "backend/auth-service.git");
    assert.equal(tipOf(mirror, "refs/merge-requests/1/head"), undefined);
    assert.equal(tipOf(mirror, mrOnly), undefined, "an MR-only commit reached the cache");
    assert.doesNotMatch(readFileSync(join(mirror, "config"), "utf8"), new RegExp(CANARY));

    // Terminal: the spec's lines; commits = new to the target (3 on main + 1 on dev).
    const lines = r.out.split("\n").filter((l) => LINE.test(l));
    assert.equal(lines.length, 2, r.out);
    const auth1 = lines.map((l) => LINE.exec(l)!).find((m) => m[3] === "auth-service")!;
    assert.deepEqual([auth1[2], auth1[4], auth1[5]], ["2", "4", "2"]);
    assert.match(r.out, /🚀 Starting GitLab → GitHub Synchronization\n {3}Session ID: sync-test-1\n/);
    assert.match(r.out, /📁 Discovering repositories\.\.\.\n {3}✓ Found 2 repositories in backend\n/);
    assert.match(
      r.out,
      /✅ Synchronization complete!\n\nSummary:\n {2}Total repositories: 2\n {2}Successful: 2\n {2}Failed: 0\n {2}Total commits synced: 6\n {2}Total branches synced: 3\n {2}Total time: 0m \ds\n\nLogs saved to: /,
    );

    // JSON log: the spec's event with its fields.
    const done = r.log.filter((e) => e.message === "Repository sync completed");
    assert.equal(done.length, 2);
    const ev = done.find((e) => e.repository === "auth-service")!;
    assert.equal(ev.logger, "repo_cloner.sync_engine");
    assert.equal(ev.level, "INFO");
    assert.equal(ev.source_url, `${f.gl.url}/backend/auth-service.git`);
    assert.equal(ev.target_url, `${f.gh.url}/myorg/auth-service.git`);
    assert.equal(ev.commits_synced, 4);
    assert.equal(ev.branches_synced, 2);
    assert.equal(ev.status, "success");
    assert.equal(typeof ev.duration_seconds, "number");
    assert.ok(
      r.log.some((e) =>
        e.message === "Synchronization session started" &&
        e.logger === "repo_cloner.workflows.gitlab_to_github"
      ),
    );

    // Second run, nothing changed: no fetch, no push, no REST write — only ls-remote and listings.
    const mark = { gl: f.gl.log.length, gh: f.gh.log.length };
    const r2 = await f.run();
    assert.equal(r2.error, undefined);
    const newGl = f.gl.log.slice(mark.gl), newGh = f.gh.log.slice(mark.gh);
    assert.deepEqual(newGl.filter((e) => e.op === "fetch" || e.op === "push"), []);
    assert.deepEqual(
      newGh.filter((e) => e.op === "fetch" || e.op === "push" || e.method !== "GET" && e.op === "api"),
      [],
    );
    assert.equal(r2.result.repositories.every((x) => x.up_to_date && !x.fetched), true);
    assert.match(r2.out, /\[\d\/2\] auth-service\.\.\. ✓ \(up to date, \d+\.\ds\)/);
    assert.match(r2.out, /Total commits synced: 0\n/);
  } finally {
    await f.close();
  }
});

Deno.test("sync: new commits and a new tag arrive; target-only branch survives; diverged branch is reported, not overwritten", async () => {
  const f = await startSyncFixture();
  try {
    const src = f.gl.addRepo("backend/ledger").dir;
    const { main } = seedHistory(src, { commits: 2, branches: ["dev"], tags: ["v1"] });
    const first = await f.run();
    assert.equal(first.result.successful, 1, first.out);
    const tgt = f.gh.repos.get("myorg/ledger")!.dir;

    // Since the last run: 3 commits on main and a tag at the source; on the target someone pushed
    // a hotfix branch and a commit on dev; the source also moved dev → dev has diverged.
    const newMain = addCommits(src, "main", 3);
    addTag(src, "v2", newMain);
    addCommits(src, "dev", 1, { label: "src" });
    const hotfix = addCommits(tgt, "hotfix", 1, { from: main, label: "hot" });
    const targetDev = addCommits(tgt, "dev", 1, { label: "tgt" });

    const mark = f.gl.log.length;
    const r = await f.run();
    assert.equal(r.error, undefined, String(r.error));
    const after = f.gh.refs("myorg/ledger");
    assert.equal(after["refs/heads/main"], newMain, "main fast-forwarded");
    assert.ok(after["refs/tags/v2"], "new tag pushed");
    assert.equal(after["refs/heads/hotfix"], hotfix, "target-only branch survives");
    assert.equal(after["refs/heads/dev"], targetDev, "diverged branch not overwritten");

    const repo = r.result.repositories[0];
    assert.equal(repo.status, "diverged");
    assert.equal(repo.commits_synced, 3);
    assert.equal(repo.branches_synced, 1);
    assert.equal(repo.tags_synced, 1);
    assert.deepEqual(repo.targets[0].diverged, ["dev"]);
    assert.equal(r.result.diverged, 1);
    assert.deepEqual(r.result.diverged_repositories, ["ledger"]);
    assert.match(
      r.out,
      /\[1\/1\] ledger\.\.\. ⚠ \(3 commits, 1 branch, \d+\.\ds\) diverged, not overwritten: dev/,
    );
    assert.match(r.out, /Diverged: 1 \(ledger\)/);
    const ev = r.log.find((e) => e.message === "Repository sync completed")!;
    assert.equal(ev.status, "diverged");
    assert.deepEqual(ev.diverged, ["dev"]);

    // Fetched exactly once for this run.
    assert.equal(f.gl.log.slice(mark).filter((e) => e.op === "fetch").length, 1);
  } finally {
    await f.close();
  }
});

Deno.test("sync: prune deletes target-only refs only when asked", async () => {
  const f = await startSyncFixture();
  try {
    const src = f.gl.addRepo("backend/svc").dir;
    const { main } = seedHistory(src, { commits: 1 });
    await f.run();
    const tgt = f.gh.repos.get("myorg/svc")!.dir;
    addCommits(tgt, "stale", 1, { from: main });
    const keep = await f.run();
    assert.ok(f.gh.refs("myorg/svc")["refs/heads/stale"], keep.out);
    const config = f.config();
    config.targets![0].prune = true;
    const pruned = await f.run({ config });
    assert.equal(pruned.error, undefined);
    assert.deepEqual(Object.keys(f.gh.refs("myorg/svc")), ["refs/heads/main"]);
    assert.equal(pruned.result.repositories[0].targets[0].refs_deleted, 1);
    assert.ok(readdirSync(f.cacheDir).length > 0);
  } finally {
    await f.close();
  }
});

Deno.test("sync: a push of a pack over git's 1 MiB default post buffer is one request, not a probe and a chunked POST", async () => {
  const f = await startSyncFixture();
  try {
    const big = f.gl.addRepo("backend/assets").dir;
    addCommits(big, "main", 1, { blobBytes: 3 * 1024 * 1024 });
    const r = await f.run();
    assert.equal(r.error, undefined, String(r.error));
    assert.deepEqual(f.gh.refs("myorg/assets"), f.gl.refs("backend/assets"));
    const pushes = f.gh.ops("push", "myorg/assets");
    assert.equal(pushes.length, 1, pushes.map((p) => `${p.method} ${p.path}`).join("\n"));
  } finally {
    await f.close();
  }
});
