/**
 * Settings of the targets that are not forges: plain git servers addressed by a URL template
 * (`type: git`) and S3 archive backups (`type: s3`), resolved from `targets[]` entries.
 */
import type { ConfigFile } from "../config/schema.ts";
import { UsageError } from "../errors.ts";
import { type S3Settings, type ServerSideEncryption, validateS3Settings } from "../storage/mod.ts";
import { type GitUrlTemplate, parseGitUrlTemplate } from "./git_url_template.ts";

type TargetEntry = NonNullable<ConfigFile["targets"]>[number];

/** A plain git server: one URL template, its own credentials. */
export interface GitTargetSettings {
  type: "git";
  template: GitUrlTemplate;
  /** Value of `{namespace}` (`namespace`, else `organization`). */
  namespace?: string;
  /** Token for HTTP Basic auth (sent as a header through the environment, never in the URL). */
  token: string;
  /** Basic-auth user name. Default "git". */
  username: string;
  /** `targets[1].token`, for messages. */
  tokenOrigin: string;
  prune: boolean;
}

/** An S3 (or S3-compatible) bucket receiving one archive per repository and run. */
export interface S3TargetSettings {
  type: "s3";
  s3: S3Settings;
  /** Keep the newest N archives per repository (incremental chains whole). Default: keep all. */
  retention?: number;
  /**
   * "incremental" (default): incremental against the last archive uploaded, full when there is none
   * (and, with `retention`, when the chain since the last full has `retention` archives, so old chains
   * can expire). "full": always full.
   */
  archiveType: "full" | "incremental";
  /** Carry dependencies (`archive.include_dependencies`). Default true. */
  includeDependencies: boolean;
  /** Carry LFS objects (`archive.include_lfs`). Default true. */
  includeLfs: boolean;
  /** Never used for pruning; present so every target has it. */
  prune: false;
  /**
   * The environment read by the config layer: AWS credentials (AWS_ACCESS_KEY_ID… are used when set,
   * else the SDK's chain: profile, SSO, instance role), registry settings for dependencies.
   */
  env: Record<string, string | undefined>;
}

/**
 * Resolves a `type: git` entry.
 * @throws UsageError naming the key at fault (bad template, missing namespace, credentials in the URL).
 */
export function resolveGitTarget(t: TargetEntry, where: string, config: ConfigFile): GitTargetSettings {
  if (!t.url) {
    throw new UsageError(
      `Cannot sync to ${where}: set url, a template like https://git.internal/{namespace}/{name}.git`,
    );
  }
  if (t.api_url) {
    throw new UsageError(`Cannot sync to ${where}: a plain git target has no api_url. Remove it`);
  }
  const template = parseGitUrlTemplate(t.url, `${where}.url`);
  const namespace = t.namespace ?? t.organization;
  if (template.usesNamespace && !namespace) {
    throw new UsageError(`Cannot sync to ${where}: the url uses {namespace}; set namespace`);
  }
  if (!t.token) {
    throw new UsageError(
      `Cannot sync to ${where}: no token. Set ${where}.token (and username when the server wants one)`,
    );
  }
  if (t.username !== undefined && !/^[A-Za-z0-9._@+-]{1,100}$/.test(t.username)) {
    throw new UsageError(`Cannot sync to ${where}: username has characters HTTP Basic auth cannot carry`);
  }
  return {
    type: "git",
    template,
    namespace,
    token: t.token,
    username: t.username ?? "git",
    tokenOrigin: `${where}.token`,
    prune: t.prune ?? config.sync?.prune ?? false,
  };
}

/**
 * Resolves a `type: s3` entry (credentials come from the standard AWS chain, never from the config).
 * @throws UsageError for a missing or invalid bucket, encryption, storage class or endpoint.
 */
export function resolveS3Target(
  t: TargetEntry,
  where: string,
  config: ConfigFile,
  env: Record<string, string | undefined>,
): S3TargetSettings {
  if (!t.bucket) throw new UsageError(`Cannot sync to ${where}: set bucket`);
  if (t.token || t.username) {
    throw new UsageError(
      `Cannot sync to ${where}: an s3 target takes no token or username; AWS credentials come from the ` +
        "environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE) or an instance role",
    );
  }
  if (t.prune) throw new UsageError(`Cannot sync to ${where}: prune does not apply to s3; use retention`);
  const s3: S3Settings = {
    bucket: t.bucket,
    prefix: t.prefix,
    region: t.region,
    endpoint: t.endpoint,
    forcePathStyle: t.force_path_style,
    storageClass: t.storage_class,
    serverSideEncryption: t.server_side_encryption as ServerSideEncryption | undefined,
    kmsKeyId: t.kms_key_id,
  };
  try {
    validateS3Settings(s3);
  } catch (e) {
    throw new UsageError(
      `Cannot sync to ${where}: ${(e as Error).message.replace(/^Cannot use /, "invalid ")}`,
      {
        cause: e,
      },
    );
  }
  return {
    type: "s3",
    s3,
    retention: t.retention,
    archiveType: t.archive_type ?? "incremental",
    includeDependencies: config.archive?.include_dependencies ?? true,
    includeLfs: config.archive?.include_lfs ?? true,
    prune: false,
    env,
  };
}

/** `s3://bucket/prefix`, as shown in headers and logs. */
export function s3Label(s: S3TargetSettings): string {
  const prefix = (s.s3.prefix ?? "").replace(/^\/+|\/+$/g, "");
  return prefix ? `s3://${s.s3.bucket}/${prefix}` : `s3://${s.s3.bucket}`;
}

/** `git.internal/backend/{name}.git`: the template without its scheme, namespace filled in. */
export function gitLabel(s: GitTargetSettings): string {
  return s.template.template.replace(/^https?:\/\//i, "").replace(/\{namespace\}/g, s.namespace ?? "");
}
