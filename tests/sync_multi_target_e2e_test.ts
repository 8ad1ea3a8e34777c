/**
 * End-to-end with the compiled binary: the spec's multi-target workflow (GitHub + S3) plus a plain git
 * server, from a config file, credentials from the environment (GitHub and git tokens, AWS keys through
 * the SDK chain). One target failing → exit 4 naming it; the others done; secrets nowhere.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBinary, tempDir } from "./support/binary.ts";
import { canaryForms } from "./support/canary.ts";
import { seedHistory } from "./support/forge_repos.ts";
import { BUCKET, GIT_TOKEN, S3_SECRET, startMultiTargetFixture } from "./support/multi_target_fixture.ts";
import { runAwsCli } from "./support/s3_server.ts";
import { SOURCE_TOKEN } from "./support/sync_fixture.ts";
import { CANARY } from "./support/binary.ts";

const testOpts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "binary: sync to GitHub, a git server and S3 — the failing git target is named, exit 4, the rest done",
  testOpts,
  async () => {
    const m = await startMultiTargetFixture();
    try {
      seedHistory(m.f.gl.addRepo("backend/backend-api").dir, { commits: 3, branches: ["dev"], tags: ["v1"] });
      seedHistory(m.f.gl.addRepo("backend/frontend").dir, { commits: 1 });
      m.addGitRepo("backend-api"); // frontend is missing on the plain git server
      const dir = tempDir("rc-mt-e2e-");
      const logFile = join(dir, "sync.log");
      const config = join(dir, "config.yml");
      writeFileSync(
        config,
        `sources:
  - type: gitlab
    url: ${m.f.gl.url}
    token: \${GITLAB_TOKEN}
    groups: [backend]
targets:
  - type: github
    url: ${m.f.gh.url}
    organization: myorg
    token: \${GITHUB_TOKEN}
  - type: git
    url: ${m.git.url}/{namespace}/{name}.git
    namespace: internal
    token: \${INTERNAL_GIT_TOKEN}
  - type: s3
    bucket: ${BUCKET}
    region: us-east-1
    prefix: production/
    endpoint: ${m.s3.endpoint}
    force_path_style: true
    storage_class: STANDARD_IA
concurrency:
  max_parallel: 2
  max_retries: 1
  retry_backoff_seconds: 0.05
  timeout_per_repo_seconds: 60
sync:
  cache_dir: ${join(dir, "cache")}
`,
      );
      const env = {
        ...m.awsEnv,
        GITLAB_TOKEN: SOURCE_TOKEN,
        GITHUB_TOKEN: CANARY,
        INTERNAL_GIT_TOKEN: GIT_TOKEN,
        HOME: join(dir, "home"),
      };
      const r = await runBinary(["--config", config, "--log-file", logFile, "sync"], { env });
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assert.match(r.stdout, /🚀 Starting GitLab → GitHub \+ Git \+ S3 Synchronization\n/);
      assert.match(
        r.stdout,
        /\] backend-api\.\.\. ✓ github ✓ git ✓ s3 \(4 commits, 2 branches, \d+\.\ds\)\n/,
      );
      assert.match(r.stdout, /\] frontend\.\.\. ✓ github ✗ git ✓ s3 \(1 commit, 1 branch, /);
      assert.match(
        r.stdout,
        /☁️ {2}Uploading to s3:\/\/rc-repo-backups\/production\/backend-api-full-\d{8}-\d{6}\.tar\.gz \(/,
      );
      assert.match(r.stderr, /failed target\(s\): 127\.0\.0\.1:\d+\/internal\/\{name\}\.git/);

      // Every repository × target outcome in the JSON log.
      const records = readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
      const outcomes = records.filter((x) => x.target_type && x.repository && x.status)
        .map((x) => `${x.repository} ${x.target_type} ${x.status}`).sort();
      assert.deepEqual(outcomes, [
        "backend-api git success",
        "backend-api github success",
        "backend-api s3 success",
        "frontend git failure",
        "frontend github success",
        "frontend s3 success",
      ]);
      // One clone of each source repository for three targets.
      assert.equal(m.f.gl.ops("fetch", "backend/backend-api").length, 1);
      assert.equal(m.f.gl.ops("fetch", "backend/frontend").length, 1);

      // The AWS CLI lists both archives with our metadata and the configured storage class.
      const ls = await runAwsCli([
        "--endpoint-url",
        m.s3.endpoint,
        "s3api",
        "list-objects-v2",
        "--bucket",
        BUCKET,
        "--prefix",
        "production/",
      ], m.awsEnv);
      assert.equal(ls.code, 0, ls.stderr);
      const keys = JSON.parse(ls.stdout.toString()).Contents.map((o: { Key: string }) => o.Key).sort();
      assert.equal(keys.length, 2);
      assert.match(keys[0], /^production\/backend-api-full-\d{8}-\d{6}\.tar\.gz$/);
      const head = await runAwsCli(
        ["--endpoint-url", m.s3.endpoint, "s3api", "head-object", "--bucket", BUCKET, "--key", keys[0]],
        m.awsEnv,
      );
      const meta = JSON.parse(head.stdout.toString());
      assert.match(meta.Metadata.sha256, /^[0-9a-f]{64}$/);
      assert.equal(meta.StorageClass, "STANDARD_IA");
      const upload = records.find((x) => x.message === "Archive uploaded" && x.repository === "backend-api");
      assert.equal(upload.sha256, meta.Metadata.sha256);

      for (const secret of [CANARY, GIT_TOKEN, S3_SECRET, SOURCE_TOKEN]) {
        for (const form of canaryForms(secret)) {
          for (
            const [where, text] of [["stdout", r.stdout], ["stderr", r.stderr], [
              "log",
              JSON.stringify(records),
            ]]
          ) {
            assert.ok(!text.includes(form), `a secret leaked in ${where}`);
          }
        }
      }
    } finally {
      await m.close();
    }
  },
);
