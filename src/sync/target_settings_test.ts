import assert from "node:assert/strict";
import type { ConfigFile } from "../config/schema.ts";
import { UsageError } from "../errors.ts";
import { resolveSyncSettings } from "./settings.ts";
import { gitLabel, s3Label } from "./target_settings.ts";

const source = {
  type: "gitlab" as const,
  url: "https://gitlab.example.com",
  token: "glpat-123456",
  groups: ["backend"],
  include_archived: false,
};
type Target = NonNullable<ConfigFile["targets"]>[number];
const resolve = (targets: Target[], extra: Partial<ConfigFile> = {}) =>
  resolveSyncSettings({ sources: [source], targets, ...extra }, {
    env: { HOME: "/h", AWS_ACCESS_KEY_ID: "k" },
  });

Deno.test("resolveSyncSettings() resolves github, git and s3 targets in config order", () => {
  const s = resolve([
    { type: "github", organization: "myorg", token: "ghp-1" },
    { type: "git", url: "https://git.internal/{namespace}/{name}.git", namespace: "mirrors", token: "t-2" },
    {
      type: "s3",
      bucket: "myorg-repo-backups",
      region: "eu-west-1",
      prefix: "production/",
      storage_class: "STANDARD_IA",
      server_side_encryption: "aws:kms",
      kms_key_id: "alias/backups",
      retention: 7,
    },
  ], { archive: { include_dependencies: false, type: "full", include_lfs: true } });
  assert.deepEqual(s.targets.map((t) => t.type), ["github", "git", "s3"]);
  const git = s.targets[1];
  assert.ok(git.type === "git");
  assert.deepEqual([git.username, git.tokenOrigin, gitLabel(git)], [
    "git",
    "targets[1].token",
    "git.internal/mirrors/{name}.git",
  ]);
  const s3 = s.targets[2];
  assert.ok(s3.type === "s3");
  assert.equal(s3Label(s3), "s3://myorg-repo-backups/production");
  assert.deepEqual(
    [
      s3.retention,
      s3.archiveType,
      s3.includeDependencies,
      s3.s3.serverSideEncryption,
      s3.env.AWS_ACCESS_KEY_ID,
    ],
    [7, "incremental", false, "aws:kms", "k"],
  );
});

Deno.test("resolveSyncSettings() refuses bad git and s3 targets before any network use", async (t) => {
  const cases: Array<[string, Target, RegExp]> = [
    ["git without url", { type: "git", token: "t" }, /targets\[0\]: set url/],
    ["git without token", { type: "git", url: "https://g.example/{name}.git" }, /no token/],
    [
      "git {namespace} unset",
      { type: "git", url: "https://g.example/{namespace}/{name}.git", token: "t" },
      /set namespace/,
    ],
    [
      "git api_url",
      { type: "git", url: "https://g.example/{name}.git", token: "t", api_url: "https://x" },
      /no api_url/,
    ],
    [
      "git bad username",
      { type: "git", url: "https://g.example/{name}.git", token: "t", username: "a:b" },
      /username/,
    ],
    [
      "git unsafe template",
      { type: "git", url: "https://u:p@g.example/{name}.git", token: "t" },
      /credentials/,
    ],
    ["s3 without bucket", { type: "s3" }, /set bucket/],
    ["s3 bad bucket", { type: "s3", bucket: "Bad_Bucket" }, /not a valid S3 bucket name/],
    ["s3 with a token", { type: "s3", bucket: "b-1", token: "t" }, /takes no token/],
    ["s3 kms key without kms", { type: "s3", bucket: "b-1", kms_key_id: "k" }, /KMS key/],
    [
      "s3 bad encryption",
      { type: "s3", bucket: "b-1", server_side_encryption: "rot13" },
      /server-side encryption/,
    ],
    ["s3 bad endpoint", { type: "s3", bucket: "b-1", endpoint: "ftp://x" }, /endpoint/],
    ["s3 prune", { type: "s3", bucket: "b-1", prune: true }, /use retention/],
  ];
  for (const [name, target, want] of cases) {
    await t.step(name, () =>
      assert.throws(() => resolve([target]), (e: Error) => {
        assert.ok(e instanceof UsageError, String(e));
        assert.match(e.message, want);
        return true;
      }));
  }
});
