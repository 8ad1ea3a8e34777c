/**
 * Multi-target sync fixture: the GitLab → GitHub {@link startSyncFixture} plus a real S3-protocol
 * server (s3rver) and a plain git smart-HTTP server (`git http-backend`) for `type: git` targets, and
 * config builders for the three target types.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ConfigFile } from "../../src/config/schema.ts";
import { createStorage, type Storage } from "../../src/storage/mod.ts";
import { tempDir } from "./binary.ts";
import { type GitHttpServer, startGitHttpServer } from "./git_http.ts";
import { S3_ACCESS_KEY_ID, type S3TestServer, startS3Server } from "./s3_server.ts";
import { startSyncFixture, type SyncFixture } from "./sync_fixture.ts";

/** Bucket the fixture's s3rver starts with. */
export const BUCKET = "rc-repo-backups";
/** Token of the plain git server (never the CANARY: each target has its own credentials). */
export const GIT_TOKEN = "git-internal-tok-51c9e2";
/** Secret access key given to the AWS chain; s3rver does not check it, tests grep for it. */
export const S3_SECRET = "rc-s3-secret-canary-8d41b7";

type TargetEntry = NonNullable<ConfigFile["targets"]>[number];

/** The fixture. */
export interface MultiTargetFixture {
  f: SyncFixture;
  s3: S3TestServer;
  git: GitHttpServer;
  /** Root of the git server's repositories. */
  gitRoot: string;
  /** AWS environment for the run (credentials, region, no shared config, no instance metadata). */
  awsEnv: Record<string, string>;
  /** Creates an empty bare repository `internal/<name>.git` on the git server. */
  addGitRepo(name: string): string;
  /** `type: github` target (the fixture's GitHub). */
  github(): TargetEntry;
  /** `type: git` target on the plain git server. */
  gitTarget(extra?: Partial<TargetEntry>): TargetEntry;
  /** `type: s3` target on s3rver, or on `endpoint` (a fault proxy). */
  s3Target(extra?: Partial<TargetEntry>): TargetEntry;
  /** Storage on the server itself (bypassing any proxy), rooted at `prefix`. */
  bucket(prefix?: string): Storage;
  close(): Promise<void>;
}

/** Starts the forges, s3rver (with {@link BUCKET}) and the git server. */
export async function startMultiTargetFixture(): Promise<MultiTargetFixture> {
  const f = await startSyncFixture();
  const s3 = await startS3Server({ buckets: [BUCKET] });
  const gitRoot = tempDir("rc-gitsrv-");
  const git = await startGitHttpServer({ root: gitRoot, tokens: [GIT_TOKEN] });
  return {
    f,
    s3,
    git,
    gitRoot,
    awsEnv: s3.awsEnv(S3_SECRET),
    addGitRepo(name) {
      const dir = join(gitRoot, "internal", `${name}.git`);
      mkdirSync(dir, { recursive: true });
      execFileSync("git", ["init", "-q", "--bare", "-b", "main", dir]);
      return dir;
    },
    github: () => ({
      type: "github",
      url: f.gh.url,
      organization: "myorg",
      token: f.config().targets![0].token,
    }),
    gitTarget: (extra = {}) => ({
      type: "git",
      url: `${git.url}/{namespace}/{name}.git`,
      namespace: "internal",
      token: GIT_TOKEN,
      ...extra,
    }),
    s3Target: (extra = {}) => ({
      type: "s3",
      bucket: BUCKET,
      region: "us-east-1",
      prefix: "production/",
      endpoint: s3.endpoint,
      force_path_style: true,
      ...extra,
    }),
    bucket: (prefix = "production") =>
      createStorage({ type: "s3", bucket: BUCKET, prefix, region: "us-east-1", endpoint: s3.endpoint }, {
        env: {},
        credentials: { accessKeyId: S3_ACCESS_KEY_ID, secretAccessKey: "x" },
      }),
    close: async () => {
      await git.close();
      await s3.close();
      await f.close();
    },
  };
}
