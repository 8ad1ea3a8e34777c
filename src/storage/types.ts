/**
 * The storage interface shared by the local and S3 backends. Keys are `/`-separated paths relative to
 * the storage root (a local directory, or a bucket plus prefix); see {@link validateKey}.
 */
import type { Readable } from "node:stream";
import type { RetentionResult } from "./retention.ts";

/** What a backend knows about one stored object. */
export interface ObjectInfo {
  /** Key relative to the storage root. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** Last modification time as the backend reports it. */
  lastModified: Date;
  /**
   * sha256 (lowercase hex) recorded with the object: the S3 `x-amz-meta-sha256` metadata. Undefined
   * from `list()` (S3 listings carry no metadata) and for local files (no metadata store): hash the
   * object with `hashObject()` when you need it.
   */
  sha256?: string;
  /** The backend's entity tag (S3 ETag without quotes), when it has one. */
  etag?: string;
  /** S3 storage class, when reported. */
  storageClass?: string;
}

/** Progress of a transfer: bytes the backend has durably accepted so far. */
export interface TransferProgress {
  bytes: number;
  /** Total bytes, when known in advance. */
  total?: number;
}

/** How `put()` proves the object arrived intact. */
export type PutVerification = "head" | "read-back";

/** Options of {@link Storage.put}. */
export interface PutOptions {
  /**
   * Expected sha256 (lowercase hex) of the body. The body is hashed while it streams; a mismatch fails
   * the put before the object appears under its final key. Required by the S3 backend, which stores it
   * as `x-amz-meta-sha256` metadata when the upload starts (use `putFile()` to have it computed).
   */
  sha256?: string;
  /** Expected size in bytes; lets S3 pick its part size up front. Checked like `sha256`. */
  size?: number;
  /** Called as bytes are accepted (S3: once per completed part; local: per write). */
  onProgress?: (progress: TransferProgress) => void;
  /**
   * After the object is in place: "head" (default) re-reads its size and recorded sha256 (S3: HeadObject,
   * plus the ETag compared against the MD5s of the bytes sent, falling back to a read-back when they
   * differ); "read-back" downloads the object again and hashes it.
   */
  verify?: PutVerification;
  /** Aborts the transfer; nothing is left under the final key. */
  signal?: AbortSignal;
  /** Content type recorded with the object. Default `application/octet-stream`. */
  contentType?: string;
}

/** The outcome of a successful put. */
export interface PutResult {
  key: string;
  /** Full location of the object: `s3://bucket/prefix/key` or an absolute path. */
  url: string;
  size: number;
  sha256: string;
  /** How the object was checked after it was written. */
  verified: "size+sha256" | "size+sha256+etag" | "read-back";
  durationMs: number;
}

/**
 * A place archives are stored. Every method throws typed errors: `StorageError` (exit 1; `reason`
 * "not_found", "no_bucket", "integrity", "failed"), `AuthError` (exit 5), `TransientError` (retryable),
 * `TypeError` for a bad key. No error message ever holds a credential.
 */
export interface Storage {
  /** "local" or "s3". */
  readonly kind: "local" | "s3";
  /** The root, as a URL: `s3://bucket/prefix` or an absolute directory path. */
  readonly location: string;
  /** The full location of `key`: `s3://bucket/prefix/key` or an absolute file path. */
  url(key: string): string;
  /**
   * Stores a stream under `key`, atomically for readers: until it completes no object with that key
   * exists (or the previous one stays), and a failed or aborted put leaves none behind.
   */
  put(key: string, body: Readable, options?: PutOptions): Promise<PutResult>;
  /** Opens an object for streaming reads. Throws StorageError reason "not_found" when absent. */
  get(key: string, options?: { signal?: AbortSignal }): Promise<Readable>;
  /** Size, sha256 metadata and time of one object; undefined when absent. */
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with `prefix` (default: all), sorted by key. Partial uploads are never listed. */
  list(prefix?: string): Promise<ObjectInfo[]>;
  /** Removes one object; removing an absent object is not an error. Used only by retention. */
  delete(key: string): Promise<void>;
  /**
   * Keeps the newest `keepNewest` archives of repository `repoName` at the root of this storage (and
   * their sidecars), deleting older ones; other repositories' archives are never touched. See
   * `retainArchives()` for the rules.
   */
  retain(repoName: string, keepNewest: number, options?: { dryRun?: boolean }): Promise<RetentionResult>;
}
