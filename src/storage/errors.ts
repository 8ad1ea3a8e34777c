/**
 * Storage failures and the one place S3/network errors are classified into the project's typed
 * errors. Messages name the location and bucket, never a credential.
 */
import { AuthError, ExitCode, RepoClonerError, TransientError } from "../errors.ts";
import { redactor } from "../log/redact.ts";

/** Why a storage operation failed. */
export type StorageFailure = "not_found" | "no_bucket" | "integrity" | "failed";

/** A storage operation failed for a reason retrying will not fix. Exit 1. */
export class StorageError extends RepoClonerError {
  /** Machine-readable reason, for callers that handle "not_found" or "no_bucket". */
  readonly reason: StorageFailure;
  constructor(message: string, options: { reason?: StorageFailure; cause?: unknown } = {}) {
    super(message, { cause: options.cause, exitCode: ExitCode.failed, errorType: "StorageError" });
    this.reason = options.reason ?? "failed";
  }
}

/** What was being done when an error happened, for the message: `Cannot <verb> "<url>"`. */
export interface ErrorContext {
  /** e.g. "upload to", "read", "list", "delete", "stat". */
  verb: string;
  /** The object or location URL. */
  url: string;
  /** The S3 bucket, when the location is in S3. */
  bucket?: string;
}

const AUTH_CODES = new Set([
  "AccessDenied",
  "AllAccessDisabled",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "AuthorizationHeaderMalformed",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "AccountProblem",
]);
const TRANSIENT_CODES = new Set([
  "InternalError",
  "ServiceUnavailable",
  "SlowDown",
  "RequestTimeout",
  "RequestTimeTooSkewed",
  "TimeoutError",
  "RequestTimeoutException",
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_SOCKET",
]);

/**
 * Maps any error thrown by the AWS SDK, the network or the file system to a typed error:
 * missing bucket → StorageError "no_bucket"; missing object → StorageError "not_found"; denied or bad
 * credentials → AuthError (exit 5); 5xx, 429, timeouts and connection faults → TransientError; anything
 * else → StorageError "failed". Typed errors pass through unchanged.
 */
export function classifyStorageError(error: unknown, ctx: ErrorContext): RepoClonerError {
  if (error instanceof RepoClonerError) return error;
  const codes = errorCodes(error);
  const status = httpStatus(error);
  const head = `Cannot ${ctx.verb} "${ctx.url}"`;
  const bucket = ctx.bucket ? `bucket "${ctx.bucket}"` : "the storage location";
  if (codes.has("NoSuchBucket")) {
    return new StorageError(
      `${head}: bucket "${ctx.bucket}" does not exist. Create it or fix targets[].bucket`,
      { reason: "no_bucket", cause: error },
    );
  }
  if (codes.has("NoSuchKey") || codes.has("ENOENT") || (status === 404 && !codes.has("NoSuchUpload"))) {
    return new StorageError(`${head}: no such object. List what exists with "repo-cloner storage ls"`, {
      reason: "not_found",
      cause: error,
    });
  }
  if (codes.has("CredentialsProviderError")) {
    return new AuthError(
      `${head}: no AWS credentials found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where an instance role is available`,
      { cause: error },
    );
  }
  const auth = [...codes].find((c) => AUTH_CODES.has(c));
  if (auth || status === 401 || status === 403) {
    return new AuthError(
      `${head}: access to ${bucket} was denied (${
        auth ?? `HTTP ${status}`
      }). Check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID) and the bucket policy`,
      { cause: error },
    );
  }
  const transient = [...codes].find((c) => TRANSIENT_CODES.has(c));
  if (transient || (status !== undefined && (status >= 500 || status === 429)) || retryable(error)) {
    return new TransientError(`${head}: ${transient ?? `HTTP ${status ?? "error"}`}; try again later`, {
      cause: error,
    });
  }
  const name = [...codes][0] ?? "Error";
  const detail = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return new StorageError(redactor.redact(`${head}: ${name}: ${detail}`.slice(0, 500)), { cause: error });
}

/** Error names and codes found on the error, its `cause` chain and any aggregated errors. */
function errorCodes(error: unknown): Set<string> {
  const out = new Set<string>();
  const seen = new Set<unknown>();
  const stack: unknown[] = [error];
  for (let i = 0; stack.length > 0 && i < 32; i++) {
    const e = stack.pop();
    if (!e || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const o = e as { name?: unknown; code?: unknown; Code?: unknown; cause?: unknown; errors?: unknown };
    for (const v of [o.code, o.Code, o.name]) if (typeof v === "string" && v !== "Error") out.add(v);
    if (o.cause) stack.push(o.cause);
    if (Array.isArray(o.errors)) stack.push(...o.errors);
  }
  return out;
}

function httpStatus(error: unknown): number | undefined {
  const meta = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  const s = meta?.httpStatusCode ?? (error as { $response?: { statusCode?: number } })?.$response?.statusCode;
  return typeof s === "number" ? s : undefined;
}

function retryable(error: unknown): boolean {
  return Boolean((error as { $retryable?: unknown } | undefined)?.$retryable);
}
