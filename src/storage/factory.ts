/**
 * Builds a {@link Storage} from a spec, a URL (`s3://bucket/prefix` or a local path) or a config
 * `targets[]` entry of type s3. The one place AWS secrets from the environment are registered for
 * redaction.
 */
import { UsageError } from "../errors.ts";
import { redactor } from "../log/redact.ts";
import { LocalStorage } from "./local.ts";
import { S3Storage } from "./s3.ts";
import {
  type S3ClientOptions,
  type S3Settings,
  type ServerSideEncryption,
  validateS3Settings,
} from "./s3_client.ts";
import type { Storage } from "./types.ts";
import { formatStorageUrl, parseStorageUrl, splitKey } from "./url.ts";

/** What to build: a local directory, or a bucket + prefix with S3 settings. */
export type StorageSpec =
  | { type: "local"; path: string }
  | ({ type: "s3" } & S3Settings);

/** S3 settings that do not come from a URL (endpoint, region, storage class, encryption…). */
export type S3Extras = Omit<S3Settings, "bucket" | "prefix">;

/** Options of the factories. */
export interface StorageFactoryOptions {
  /** Environment (AWS_* secrets registered for redaction; endpoint/region defaults). Default process.env. */
  env?: Record<string, string | undefined>;
  /** Applied to s3:// locations. */
  s3?: S3Extras;
  /** Explicit AWS credentials (embedding, tests). Default: the SDK's default provider chain. */
  credentials?: S3ClientOptions["credentials"];
  /** Base for relative local paths. Default process.cwd(). */
  cwd?: string;
}

/**
 * Builds a storage backend from a spec.
 * @throws UsageError for invalid S3 settings (encryption mode, storage class, endpoint).
 */
export function createStorage(spec: StorageSpec, options: StorageFactoryOptions = {}): Storage {
  if (spec.type === "local") return new LocalStorage(spec.path);
  const env = options.env ?? process.env;
  redactor.add(env.AWS_SECRET_ACCESS_KEY);
  redactor.add(env.AWS_SESSION_TOKEN);
  const { type: _type, ...settings } = spec;
  validateS3Settings(settings);
  return new S3Storage(settings, { env, credentials: options.credentials });
}

/**
 * Storage rooted at a location: `s3://bucket/prefix` (keys go below the prefix) or a local directory.
 * This is what `--storage-path` names.
 * @throws TypeError for an unparseable location; UsageError for invalid S3 settings.
 */
export function storageFromUrl(url: string, options: StorageFactoryOptions = {}): Storage {
  const loc = parseStorageUrl(url, { cwd: options.cwd });
  if (loc.kind === "local") return createStorage({ type: "local", path: loc.path }, options);
  return createStorage({ type: "s3", ...options.s3, bucket: loc.bucket, prefix: loc.path }, options);
}

/**
 * Splits an object URL (`s3://bucket/dir/x.tar.gz`, `/mnt/usb/x.tar.gz`) into storage rooted at its
 * parent and the object's key, so that sidecars are siblings: `storage.get(key + ".minisig")`.
 * @throws TypeError when the URL names a bucket or directory root rather than an object.
 */
export function openStorageObject(
  url: string,
  options: StorageFactoryOptions = {},
): { storage: Storage; key: string } {
  const loc = parseStorageUrl(url, { cwd: options.cwd });
  const [parent, key] = splitKey(loc.kind === "s3" ? loc.path : loc.path.replaceAll("\\", "/"));
  if (key === "") {
    throw new TypeError(`Cannot open "${formatStorageUrl(loc)}": it names a bucket, not an object`);
  }
  if (loc.kind === "local") {
    return { storage: createStorage({ type: "local", path: parent || "/" }, options), key };
  }
  return {
    storage: createStorage({ type: "s3", ...options.s3, bucket: loc.bucket, prefix: parent }, options),
    key,
  };
}

/** The fields of a config `targets[]` entry this factory reads (see src/config/schema.ts). */
export interface S3TargetConfig {
  type: string;
  bucket?: string;
  region?: string;
  prefix?: string;
  endpoint?: string;
  force_path_style?: boolean;
  storage_class?: string;
  server_side_encryption?: string;
  kms_key_id?: string;
}

/**
 * Storage for a config `targets[]` entry of type "s3".
 * @throws UsageError when the entry is not of type s3, has no bucket, or has invalid settings.
 */
export function storageFromTarget(
  target: S3TargetConfig,
  options: Omit<StorageFactoryOptions, "s3" | "cwd"> = {},
): Storage {
  if (target.type !== "s3") {
    throw new UsageError(`Cannot use target of type "${target.type}" as storage: only type s3 is storage`);
  }
  if (!target.bucket) throw new UsageError(`Cannot use s3 target: targets[].bucket is required`);
  return createStorage({
    type: "s3",
    bucket: target.bucket,
    prefix: target.prefix,
    region: target.region,
    endpoint: target.endpoint,
    forcePathStyle: target.force_path_style,
    storageClass: target.storage_class,
    serverSideEncryption: target.server_side_encryption as ServerSideEncryption | undefined,
    kmsKeyId: target.kms_key_id,
  }, options);
}
