/**
 * Storage boundary: local and S3 backends behind one interface. Import from here.
 *
 * ```ts
 * const storage = storageFromUrl("s3://bucket/prefix");            // or a local directory
 * await putFile(storage, "repo-full-20251013-140000.tar.gz", { file, onProgress });
 * const { storage: s, key } = openStorageObject("s3://bucket/prefix/x.tar.gz");
 * const stream = await s.get(key);                                  // streamed GetObject body
 * ```
 */
export type {
  ObjectInfo,
  PutOptions,
  PutResult,
  PutVerification,
  Storage,
  TransferProgress,
} from "./types.ts";
export { classifyStorageError, StorageError, type StorageFailure } from "./errors.ts";
export {
  createStorage,
  openStorageObject,
  type S3Extras,
  type S3TargetConfig,
  type StorageFactoryOptions,
  storageFromTarget,
  storageFromUrl,
  type StorageSpec,
} from "./factory.ts";
export { hashFile, LocalStorage } from "./local.ts";
export { partSizeFor, S3Storage } from "./s3.ts";
export {
  createS3Client,
  type S3Settings,
  type ServerSideEncryption,
  validateS3Settings,
} from "./s3_client.ts";
export { getToFile, type GetToFileResult, hashObject, putFile } from "./transfer.ts";
export {
  latestArchive,
  listArchives,
  retainArchives,
  type RetentionResult,
  type StoredArchive,
} from "./retention.ts";
export { type ArchiveName, parseArchiveName, sidecarOf } from "./archive_name.ts";
export {
  formatStorageUrl,
  isS3Url,
  joinKey,
  parseStorageUrl,
  type StorageLocation,
  validateKey,
} from "./url.ts";
