/**
 * S3 connection settings and the one place an `S3Client` is configured. Credentials and, when no
 * endpoint is given, `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` come from the SDK's own default chains
 * (env, shared config and credentials files, SSO, web identity, container and instance roles).
 */
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { UsageError } from "../errors.ts";
import { isBucketName } from "./url.ts";

/** Server-side encryption modes S3 accepts. */
export type ServerSideEncryption = "AES256" | "aws:kms" | "aws:kms:dsse";

/** Where and how to store objects in S3 or an S3-compatible store. */
export interface S3Settings {
  bucket: string;
  /** Key prefix under which everything is stored ("production/" and "production" are the same). Default "". */
  prefix?: string;
  /** Region. Default: the SDK chain (AWS_REGION, profile), then AWS_DEFAULT_REGION, then "us-east-1". */
  region?: string;
  /**
   * Endpoint of an S3-compatible store (MinIO, Ceph, s3rver…). Default: the SDK reads
   * AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or the profile's endpoint_url, else AWS itself.
   */
  endpoint?: string;
  /** Path-style addressing. Default: true when an endpoint is set (here or by env), else false. */
  forcePathStyle?: boolean;
  /** S3 storage class of uploaded objects, e.g. STANDARD_IA, GLACIER_IR. Default: the bucket's. */
  storageClass?: string;
  /** Server-side encryption of uploaded objects. Default: the bucket's. */
  serverSideEncryption?: ServerSideEncryption;
  /** KMS key for `aws:kms` / `aws:kms:dsse`. */
  kmsKeyId?: string;
  /** Attempts per request (SDK standard retry with backoff). Default 4. */
  maxAttempts?: number;
  /** TCP connect timeout, ms. Default 10000. */
  connectionTimeoutMs?: number;
  /** Socket idle timeout, ms. Default 120000. */
  requestTimeoutMs?: number;
  /** Multipart part size in bytes (≥ 5 MiB). Default: `partSizeFor(size)` — 5 MiB or more for a known size. */
  partSize?: number;
  /** Parts uploaded in parallel. Default 2 (memory ≈ queueSize × partSize, plus GC slack). */
  queueSize?: number;
}

/** Injection points of {@link createS3Client}; everything else comes from {@link S3Settings}. */
export interface S3ClientOptions {
  env?: Record<string, string | undefined>;
  credentials?: S3ClientConfig["credentials"];
}

const SSE_MODES: readonly string[] = ["AES256", "aws:kms", "aws:kms:dsse"];

/**
 * Checks settings that come from config or flags.
 * @throws UsageError naming the bad value.
 */
export function validateS3Settings(settings: S3Settings): void {
  const where = `s3://${settings.bucket}`;
  if (!isBucketName(settings.bucket)) {
    throw new UsageError(
      `Cannot use bucket "${settings.bucket}": not a valid S3 bucket name (3-63 lowercase letters, digits, dots or hyphens). Fix targets[].bucket`,
    );
  }
  const sse = settings.serverSideEncryption;
  if (sse !== undefined && !SSE_MODES.includes(sse)) {
    throw new UsageError(
      `Cannot use server-side encryption "${sse}" for ${where}: use one of ${SSE_MODES.join(", ")}`,
    );
  }
  if (settings.kmsKeyId && (sse === undefined || sse === "AES256")) {
    throw new UsageError(
      `Cannot use a KMS key for ${where}: set server_side_encryption to "aws:kms" (or remove kms_key_id)`,
    );
  }
  if (settings.storageClass !== undefined && !/^[A-Z][A-Z0-9_]*$/.test(settings.storageClass)) {
    throw new UsageError(
      `Cannot use storage class "${settings.storageClass}" for ${where}: expected a name like STANDARD_IA`,
    );
  }
  if (settings.endpoint !== undefined && !isPlainHttpUrl(settings.endpoint)) {
    throw new UsageError(
      `Cannot use the endpoint given for ${where}: expected http(s)://host[:port], without credentials`,
    );
  }
  if (settings.partSize !== undefined && settings.partSize < 5 * 1024 * 1024) {
    throw new UsageError(`Cannot use part size ${settings.partSize} for ${where}: S3 needs at least 5 MiB`);
  }
}

function isPlainHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === "http:" || u.protocol === "https:") && !u.username && !u.password &&
      u.hostname !== "";
  } catch {
    return false;
  }
}

/**
 * Builds the S3 client: request/response checksums only "WHEN_REQUIRED" (S3-compatible stores such as
 * s3rver reject the SDK's default CRC32 trailers), region redirects followed, bounded timeouts and retries.
 * @param options.env read only for AWS_DEFAULT_REGION (which the JS SDK ignores) and to see whether an
 *   endpoint is configured by AWS_ENDPOINT_URL(_S3). Default `process.env`.
 * @param options.credentials explicit credentials or provider, for embedding and tests. Default: the
 *   SDK's default provider chain (never our own).
 */
export function createS3Client(settings: S3Settings, options: S3ClientOptions = {}): S3Client {
  const env = options.env ?? process.env;
  const endpointFromEnv = Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL) &&
    !/^true$/i.test(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? "");
  return new S3Client({
    region: settings.region ?? regionFromChain(env),
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle ?? (Boolean(settings.endpoint) || endpointFromEnv),
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    followRegionRedirects: true,
    maxAttempts: settings.maxAttempts ?? 4,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    requestHandler: {
      connectionTimeout: settings.connectionTimeoutMs ?? 10_000,
      requestTimeout: settings.requestTimeoutMs ?? 120_000,
    },
  });
}

/** The SDK's region chain (AWS_REGION, profile `region`), then AWS_DEFAULT_REGION, then us-east-1. */
function regionFromChain(env: Record<string, string | undefined>): () => Promise<string> {
  let cached: Promise<string> | undefined;
  return () =>
    cached ??= (async () => {
      try {
        const probe = new S3Client({});
        const region = await probe.config.region();
        probe.destroy();
        if (region) return region;
      } catch {
        // no region configured anywhere the SDK looks
      }
      return env.AWS_DEFAULT_REGION || "us-east-1";
    })();
}
