/**
 * Multi-target sync through the real engine: GitHub (forge emulator), a plain git server
 * (`git http-backend`) and S3 (s3rver, a fault proxy in front where needed). One fetch of the source
 * per repository and run, whatever the number of targets; a failing target never stops the others.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { readStoredManifest } from "../src/archive/stored_manifest.ts";
import { outcomeError } from "../src/cli/sync_cycle.ts";
import { ExitCode } from "../src/errors.ts";
import { addCommits, seedHistory } from "./support/forge_repos.ts";
import { BUCKET, GIT_TOKEN, S3_SECRET, startMultiTargetFixture } from "./support/multi_target_fixture.ts";
import { canaryForms } from "./support/canary.ts";
import { runAwsCli } from "./support/s3_server.ts";
import { startS3Proxy } from "./support/s3_proxy.ts";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { tempDir } from "./support/binary.ts";
import { buildFixtureRepo } from "./support/fixture_repo.ts";
import { SOURCE_TOKEN } from "./support/sync_fixture.ts";
import { git } from "../src/git/git.ts";
import { lfsPushAll } from "../src/git/lfs.ts";

const testOpts = { sanitizeOps: false, sanitizeResources: false };

function noSecrets(where: string, text: string): void {
  for (const secret of [S3_SECRET, GIT_TOKEN]) {
    for (const form of canaryForms(secret)) assert.ok(!text.includes(form), `a secret leaked in ${where}`);
  }
  for (const form of canaryForms()) assert.ok(!text.includes(form), `the canary leaked in ${where}`);
}

Deno.test(
  "sync: GitHub + S3 in one run — one fetch, archive with checked sha256, incremental next, nothing when unchanged",
  testOpts,
  async () => {
    const m = await startMultiTargetFixture();
    try {
      const api = m.f.gl.addRepo("backend/api").dir;
      seedHistory(api, { commits: 3, branches: ["dev"], tags: ["v1.0"] });
      seedHistory(m.f.gl.addRepo("backend/web").dir, { commits: 2 });
      const config = m.f.config({ targets: [m.github(), m.s3Target({ retention: 5 })] });
      const r1 = await m.f.run({ config, env: m.awsEnv });
      assert.equal(r1.error, undefined, String(r1.error));
      assert.equal(r1.result.successful, 2, r1.out);
      assert.deepEqual(r1.result.targets, [`${m.f.gh.host}/myorg`, `s3://${BUCKET}/production`]);
      assert.match(r1.out, /\[\d\/2\] api\.\.\. ✓ github ✓ s3 \(4 commits, 2 branches, \d+\.\ds\)\n/);
      assert.match(
        r1.out,
        /☁️ {2}Uploading to s3:\/\/rc-repo-backups\/production\/api-full-\d{8}-\d{6}\.tar\.gz \(\d/,
      );
      assert.match(
        r1.out,
        /✓ Uploaded to: s3:\/\/rc-repo-backups\/production\/api-full-\d{8}-\d{6}\.tar\.gz \(full, /,
      );
      // One clone of each source repository, however many targets.
      assert.equal(m.f.gl.ops("fetch", "backend/api").length, 1);
      assert.equal(m.f.gl.ops("fetch", "backend/web").length, 1);
      assert.deepEqual(m.f.gh.refs("myorg/api"), m.f.gl.refs("backend/api"));

      const keys1 = (await m.bucket().list()).map((o) => o.key);
      assert.equal(keys1.length, 2, keys1.join());
      const fullKey = keys1.find((k) => k.startsWith("api-full-"))!;
      const stored = await readStoredManifest(m.bucket(), fullKey);
      assert.equal(stored.manifest.type, "full");
      assert.equal(stored.manifest.repository.name, "api");
      const apiResult = r1.result.repositories.find((x) => x.repository === "api")!;
      assert.equal(stored.manifest.source.url, apiResult.source_url, "the source URL, not the mirror path");
      assert.deepEqual(stored.manifest.refs, m.f.gl.refs("backend/api"));
      const s3Out = apiResult.targets[1];
      assert.equal(s3Out.target_type, "s3");
      assert.equal(s3Out.archive?.key, fullKey);

      // Independent check with the real AWS CLI: the metadata sha256 is the sha256 of the bytes.
      const file = join(tempDir("rc-mt-aws-"), "a.tar.gz");
      const got = await runAwsCli([
        "--endpoint-url",
        m.s3.endpoint,
        "s3api",
        "get-object",
        "--bucket",
        BUCKET,
        "--key",
        `production/${fullKey}`,
        file,
      ], m.awsEnv);
      assert.equal(got.code, 0, got.stderr);
      const digest = createHash("sha256").update(readFileSync(file)).digest("hex");
      assert.equal(JSON.parse(got.stdout.toString()).Metadata.sha256, digest);
      assert.equal(s3Out.archive?.sha256, digest);

      // Log: one completion event per repository × target, with its type and status.
      const done = r1.log.filter((x) => x.message === "Repository sync completed");
      assert.deepEqual(
        done.map((x) => `${x.repository} ${x.target_type} ${x.status}`).sort(),
        ["api github success", "api s3 success", "web github success", "web s3 success"],
      );

      // Second run: new commits → pushed, and an incremental against the archive uploaded before.
      addCommits(api, "main", 2);
      const r2 = await m.f.run({ config, env: m.awsEnv });
      assert.equal(r2.error, undefined, String(r2.error));
      assert.match(r2.out, /\] api\.\.\. ✓ github ✓ s3 \(2 commits, 1 branch, /);
      assert.match(r2.out, /\] web\.\.\. ✓ github ✓ s3 \(up to date, /);
      assert.equal(m.f.gl.ops("fetch", "backend/api").length, 2, "one more fetch for the changed repository");
      assert.equal(m.f.gl.ops("fetch", "backend/web").length, 1, "none for the unchanged one");
      const incKey = (await m.bucket().list()).map((o) => o.key).find((k) =>
        k.startsWith("api-incremental-")
      )!;
      assert.ok(incKey, "an incremental archive was uploaded");
      assert.ok(incKey.slice(-22) > fullKey.slice(-22), "it sorts after its base");
      const inc = await readStoredManifest(m.bucket(), incKey);
      assert.equal(inc.manifest.type, "incremental");
      assert.equal(inc.manifest.base?.archive_id, stored.manifest.archive_id);
      assert.equal(inc.manifest.base?.sha256, stored.sha256);
      assert.deepEqual(inc.manifest.refs, m.f.gl.refs("backend/api"));

      // Third run: nothing changed anywhere → no fetch, no upload.
      const r3 = await m.f.run({ config, env: m.awsEnv });
      assert.equal(r3.error, undefined, String(r3.error));
      assert.equal(m.f.gl.ops("fetch").length, 3);
      assert.equal((await m.bucket().list()).length, 3);
      assert.ok(r3.result.repositories.every((x) => x.up_to_date), r3.out);
      for (const r of [r1, r2, r3]) {
        noSecrets("terminal", r.out);
        noSecrets("log", JSON.stringify(r.log));
      }
    } finally {
      await m.close();
    }
  },
);

Deno.test(
  "sync: three targets, the middle one failing — the other two succeed, the failure is named, exit 4",
  testOpts,
  async () => {
    const m = await startMultiTargetFixture();
    try {
      seedHistory(m.f.gl.addRepo("backend/billing").dir, { commits: 2, tags: ["v1"] });
      seedHistory(m.f.gl.addRepo("backend/orders").dir, { commits: 1 });
      m.addGitRepo("orders"); // billing is missing on the plain git server (which cannot create it)
      const config = m.f.config({ targets: [m.github(), m.gitTarget(), m.s3Target()] });
      const r = await m.f.run({ config, env: m.awsEnv });
      assert.equal(r.error, undefined, String(r.error));
      assert.equal(r.result.failed, 1, r.out);
      assert.match(r.out, /^🚀 Starting GitLab → GitHub \+ Git \+ S3 Synchronization\n/);
      assert.deepEqual(r.result.failed_repositories, ["billing"]);
      assert.equal(r.result.failed_targets.length, 1);
      const failed = r.result.failed_targets[0];
      assert.equal(failed.target_type, "git");
      assert.match(failed.error, /repository does not exist on the git server.*Create it there first/);
      assert.match(r.out, /\] billing\.\.\. ✓ github ✗ git ✓ s3 \(2 commits, 1 branch, /);
      assert.match(
        r.out,
        /\n {6}✗ git: Cannot push to "http:\/\/127\.0\.0\.1:\d+\/internal\/billing\.git": the repository does not exist/,
      );
      assert.match(r.out, /\] orders\.\.\. ✓ github ✓ git ✓ s3 \(/);
      assert.match(
        r.out,
        /Failed targets: 1\n {4}✗ billing → 127\.0\.0\.1:\d+\/internal\/\{name\}\.git: Cannot push/,
      );
      // The other two targets of billing went through; orders reached all three.
      assert.deepEqual(m.f.gh.refs("myorg/billing"), m.f.gl.refs("backend/billing"));
      assert.ok((await m.bucket().list()).some((o) => o.key.startsWith("billing-full-")));
      const gitDir = join(m.gitRoot, "internal", "orders.git");
      const refs = new Deno.Command("git", { args: ["-C", gitDir, "for-each-ref", "--format=%(refname)"] })
        .outputSync();
      assert.equal(new TextDecoder().decode(refs.stdout).trim(), "refs/heads/main");
      assert.equal(m.f.gl.ops("fetch", "backend/billing").length, 1, "fetched once for three targets");
      // The log names the failed target with its type and status.
      const ev = r.log.find((x) => x.message === "Repository sync to target failed")!;
      assert.deepEqual([ev.repository, ev.target_type, ev.status, ev.level], [
        "billing",
        "git",
        "failure",
        "ERROR",
      ]);
      // Exit 4 (partial), naming the failed target.
      const e = outcomeError(r, "/tmp/x.log")!;
      assert.equal(e.exitCode, ExitCode.partial);
      assert.match(
        e.message,
        /1 failed \(billing\), failed target\(s\): 127\.0\.0\.1:\d+\/internal\/\{name\}\.git/,
      );
      noSecrets("terminal", r.out);
      noSecrets("log", JSON.stringify(r.log));
    } finally {
      await m.close();
    }
  },
);

Deno.test(
  "sync: S3 bucket missing or access denied — a clear error on that target, GitHub synced",
  testOpts,
  async (t) => {
    const m = await startMultiTargetFixture();
    const proxy = await startS3Proxy({ upstreamPort: m.s3.port, denyAccessKeys: ["S3RVER"] });
    try {
      seedHistory(m.f.gl.addRepo("backend/search").dir, { commits: 1 });
      await t.step("bucket missing", async () => {
        const config = m.f.config({ targets: [m.github(), m.s3Target({ bucket: "no-such-bucket" })] });
        const r = await m.f.run({ config, env: m.awsEnv });
        assert.equal(r.error, undefined, String(r.error));
        assert.deepEqual(m.f.gh.refs("myorg/search"), m.f.gl.refs("backend/search"));
        assert.match(r.out, /\] search\.\.\. ✓ github ✗ s3 \(/);
        assert.match(
          r.out,
          /✗ s3: Cannot list "s3:\/\/no-such-bucket\/production": bucket "no-such-bucket" does not exist/,
        );
        assert.ok(
          r.log.some((x) => x.message.startsWith("Cannot use target s3://no-such-bucket/production")),
        );
        assert.equal(outcomeError(r, "x")!.exitCode, ExitCode.partial);
      });
      await t.step("access denied (403 AccessDenied)", async () => {
        const config = m.f.config({ targets: [m.github(), m.s3Target({ endpoint: proxy.endpoint })] });
        const r = await m.f.run({ config, env: m.awsEnv });
        assert.equal(r.error, undefined, String(r.error));
        assert.match(r.out, /\] search\.\.\. ✓ github ✗ s3 \(/);
        assert.match(
          r.out,
          /✗ s3: Cannot list "s3:\/\/rc-repo-backups\/production": access to bucket "rc-repo-backups" was denied \(AccessDenied\)/,
        );
        const failed = r.result.repositories[0].targets[1];
        assert.equal(failed.error_type, "AuthenticationError");
        assert.equal(outcomeError(r, "x")!.exitCode, ExitCode.partial, "an S3 denial does not stop the run");
        assert.deepEqual(await m.bucket().list(), []);
        noSecrets("terminal", r.out);
        noSecrets("proxy headers", JSON.stringify(proxy.log.map((x) => x.headers)));
      });
    } finally {
      await proxy.close();
      await m.close();
    }
  },
);

Deno.test(
  "sync: an upload cut mid-way leaves no object under the final key; the GitHub target is synced",
  testOpts,
  async () => {
    const m = await startMultiTargetFixture();
    const proxy = await startS3Proxy({ upstreamPort: m.s3.port, dropAfterBytes: 3000 });
    try {
      const dir = m.f.gl.addRepo("backend/media").dir;
      addCommits(dir, "main", 3, { blobBytes: 20_000 });
      const config = m.f.config({ targets: [m.github(), m.s3Target({ endpoint: proxy.endpoint })] });
      const r = await m.f.run({ config, env: m.awsEnv });
      assert.equal(r.error, undefined, String(r.error));
      assert.ok(proxy.tripped(), "the link went down during the upload");
      assert.match(r.out, /\] media\.\.\. ✓ github ✗ s3 \(/);
      assert.match(r.out, /☁️ {2}Uploading to s3:\/\/rc-repo-backups\/production\/media-full-/);
      assert.deepEqual(m.f.gh.refs("myorg/media"), m.f.gl.refs("backend/media"));
      assert.deepEqual(await m.bucket().list(), [], "no object (complete or not) under the final key");
      assert.equal(r.result.repositories[0].targets[1].error_type, "NetworkError");
      assert.equal(m.f.gl.ops("fetch", "backend/media").length, 1, "retries of the upload never refetch");
    } finally {
      await proxy.close();
      await m.close();
    }
  },
);

Deno.test(
  "sync: an LFS repository's S3 archive carries its LFS objects; the source is still cloned once",
  testOpts,
  async () => {
    const m = await startMultiTargetFixture();
    try {
      const fx = await buildFixtureRepo(tempDir("rc-mt-lfs-"), "assets", { lfsBytes: 40_000 });
      m.f.gl.addRepo("backend/assets");
      const url = `${m.f.gl.url}/backend/assets.git`;
      const auth = { token: SOURCE_TOKEN, username: "oauth2" };
      await lfsPushAll(fx.dir, url, { auth });
      await git(["push", "-q", url, "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"], {
        cwd: fx.dir,
        auth,
      });
      const config = m.f.config({ targets: [m.github(), m.s3Target()] });
      const r = await m.f.run({ config, env: m.awsEnv });
      assert.equal(r.error, undefined, String(r.error));
      assert.match(r.out, /\] assets\.\.\. ✓ github ✓ s3 \(/);
      const key = (await m.bucket().list()).map((o) => o.key).find((k) => k.startsWith("assets-full-"))!;
      const { manifest } = await readStoredManifest(m.bucket(), key);
      assert.equal(manifest.lfs.objects.length, 2);
      assert.ok(manifest.lfs.objects.some((o) => o.oid === fx.lfsOid));
      assert.equal(
        m.f.gl.ops("fetch", "backend/assets").length,
        1,
        "one git fetch; LFS objects via the LFS API",
      );
      assert.ok(m.f.gl.ops("lfs", "backend/assets").length > 0);
    } finally {
      await m.close();
    }
  },
);

Deno.test(
  "sync: s3 retention keeps the newest N archives, chains whole (a new full starts when the chain has N)",
  testOpts,
  async () => {
    const m = await startMultiTargetFixture();
    try {
      const dir = m.f.gl.addRepo("backend/ledger").dir;
      seedHistory(dir, { commits: 1 });
      const config = m.f.config({ targets: [m.s3Target({ retention: 2 })] });
      const kinds: string[][] = [];
      for (let run = 1; run <= 4; run++) {
        if (run > 1) addCommits(dir, "main", 1);
        const r = await m.f.run({ config, env: m.awsEnv });
        assert.equal(r.error, undefined, String(r.error));
        assert.equal(r.result.successful, 1, r.out);
        kinds.push((await m.bucket().list()).map((o) => o.key.replace(/^ledger-(\w+)-.*$/, "$1")));
      }
      // full; full+inc; full+inc+full (the old chain stays until the new one has 2); full+inc.
      assert.deepEqual(kinds, [
        ["full"],
        ["full", "incremental"],
        ["full", "full", "incremental"],
        ["full", "incremental"],
      ]);
      const left = await m.bucket().list();
      const inc = left.find((o) => o.key.includes("-incremental-"))!;
      const full = left.find((o) => o.key.includes("-full-"))!;
      const base = (await readStoredManifest(m.bucket(), inc.key)).manifest.base?.archive_id;
      assert.equal(base, (await readStoredManifest(m.bucket(), full.key)).manifest.archive_id);
    } finally {
      await m.close();
    }
  },
);

Deno.test(
  "sync --dry-run with git and s3 targets plans the push and the upload, and changes nothing",
  testOpts,
  async () => {
    const m = await startMultiTargetFixture();
    try {
      seedHistory(m.f.gl.addRepo("backend/catalog").dir, { commits: 2 });
      m.addGitRepo("catalog");
      const config = m.f.config({ targets: [m.github(), m.gitTarget(), m.s3Target()] });
      const r = await m.f.run({ config, env: m.awsEnv, flags: { dryRun: true } });
      assert.equal(r.error, undefined, String(r.error));
      assert.match(
        r.out,
        /\] catalog\.\.\. → create [^;]+; push 1 branch, 0 tags \(2 commits\); upload full archive to s3:\/\/rc-repo-backups\/production\n/,
      );
      assert.deepEqual(await m.bucket().list(), []);
      assert.equal(m.f.gh.repos.get("myorg/catalog"), undefined);
      assert.equal(
        m.f.gl.ops("push").length + m.git.log.filter((x) => x.path.endsWith("git-receive-pack")).length,
        0,
      );
    } finally {
      await m.close();
    }
  },
);

Deno.test(
  "sync: a rejected git-server token fails that target, finishes the repository's other targets, then stops the run (exit 5)",
  testOpts,
  async () => {
    const m = await startMultiTargetFixture();
    try {
      seedHistory(m.f.gl.addRepo("backend/alpha").dir, { commits: 1 });
      seedHistory(m.f.gl.addRepo("backend/beta").dir, { commits: 1 });
      m.addGitRepo("alpha");
      m.addGitRepo("beta");
      const config = m.f.config({
        targets: [m.github(), m.gitTarget({ token: "revoked-git-token-1" }), m.s3Target()],
        concurrency: {
          max_parallel: 1,
          max_retries: 0,
          timeout_per_repo_seconds: 30,
          retry_backoff_seconds: 0.05,
        },
      });
      const r = await m.f.run({ config, env: m.awsEnv });
      assert.equal(r.error, undefined, String(r.error));
      assert.ok(r.authError, "the rejected token stops the run");
      assert.match(r.authError.message, /the git server 127\.0\.0\.1:\d+ \(token from targets\[1\]\.token\)/);
      assert.equal(outcomeError(r, "x")!.exitCode, ExitCode.auth);
      assert.equal(r.result.repositories.length, 1, "no repository started after the rejection");
      const [first] = r.result.repositories;
      assert.deepEqual(first.targets.map((t) => `${t.target_type}:${t.status}`), [
        "github:success",
        "git:failure",
        "s3:success",
      ]);
      assert.deepEqual(r.result.not_started.length, 1);
    } finally {
      await m.close();
    }
  },
);
