/**
 * The S3 backend: multipart uploads through `@aws-sdk/lib-storage` (the object appears only on
 * CompleteMultipartUpload; any failure aborts the upload), streamed GetObject reads, the archive's sha256
 * as `x-amz-meta-sha256` metadata, checked after every upload.
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AuthError } from "../errors.ts";
import { Meter } from "./_meter.ts";
import { classifyStorageError, StorageError } from "./errors.ts";
import { retainArchives, type RetentionResult } from "./retention.ts";
import { createS3Client, type S3ClientOptions, type S3Settings } from "./s3_client.ts";
import type { ObjectInfo, PutOptions, PutResult, Storage } from "./types.ts";
import { hashObject } from "./transfer.ts";
import { joinKey, validateKey } from "./url.ts";

const MIB = 1024 * 1024;
/** Upper bound on listing pages (1,000 keys each). */
const MAX_LIST_PAGES = 10_000;

/** Objects in one bucket under one prefix. */
export class S3Storage implements Storage {
  readonly kind = "s3" as const;
  readonly location: string;
  readonly bucket: string;
  /** Key prefix without leading/trailing slashes ("" for the bucket root). */
  readonly prefix: string;
  /** The SDK client, for callers that need another S3 call. */
  readonly client: S3Client;
  #settings: S3Settings;

  /**
   * @param settings bucket, prefix and connection settings (validate them with `validateS3Settings`).
   * @param options.client an existing client to use instead of building one.
   */
  constructor(
    settings: S3Settings,
    options: S3ClientOptions & { client?: S3Client } = {},
  ) {
    this.#settings = settings;
    this.bucket = settings.bucket;
    this.prefix = joinKey(settings.prefix ?? "");
    if (this.prefix !== "") validateKey(this.prefix, { what: `prefix "${settings.prefix}"` });
    this.location = this.prefix ? `s3://${this.bucket}/${this.prefix}` : `s3://${this.bucket}`;
    this.client = options.client ?? createS3Client(settings, options);
  }

  /** `s3://bucket/prefix/key`. @throws TypeError for an invalid key. */
  url(key: string): string {
    return `s3://${this.bucket}/${this.#objectKey(key)}`;
  }

  /**
   * Multipart upload of `body` (one PutObject when it fits one part). `options.sha256` is required and
   * stored as metadata; the stream is hashed on the way and a mismatch aborts the upload. Afterwards
   * HeadObject must show the same size and sha256, and the ETag must equal the MD5s of the bytes sent
   * (skipped under aws:kms, where ETags are not MD5s); if the ETag differs, the object is read back and
   * hashed. An object that fails these checks is deleted.
   */
  async put(key: string, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const started = performance.now();
    const url = this.url(key);
    const sha256 = options.sha256?.toLowerCase();
    if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) {
      body.destroy();
      throw new TypeError(`Cannot upload to "${url}": the body's sha256 is required (hex); use putFile()`);
    }
    const objectKey = this.#objectKey(key);
    const partSize = this.#settings.partSize ?? partSizeFor(options.size);
    const meter = new Meter({ url, sha256, size: options.size, partSize });
    let streamError: unknown;
    meter.once("error", (e) => streamError ??= e);
    pipeline(body, meter).catch(() => {}); // failures reach the upload through `meter`
    const upload = new Upload({
      client: this.client,
      partSize,
      queueSize: this.#settings.queueSize ?? 2,
      // We abort failed uploads ourselves: lib-storage's own abort replaces the real error with the
      // abort's when that fails (s3rver has no AbortMultipartUpload).
      leavePartsOnError: true,
      params: {
        Bucket: this.bucket,
        Key: objectKey,
        Body: meter,
        ContentLength: options.size,
        ContentType: options.contentType ?? "application/octet-stream",
        Metadata: { sha256 },
        StorageClass: this.#settings.storageClass as never,
        ServerSideEncryption: this.#settings.serverSideEncryption,
        SSEKMSKeyId: this.#settings.kmsKeyId,
      },
    });
    // Abort: stop reading and reject at once. lib-storage does not cancel parts in flight; they finish or
    // time out in the background and the upload is never completed.
    const onAbort = () => {
      meter.destroy(Object.assign(new Error("Upload aborted"), { name: "AbortError" }));
      void upload.abort();
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    upload.on(
      "httpUploadProgress",
      (p) => options.onProgress?.({ bytes: p.loaded ?? 0, total: options.size }),
    );
    try {
      if (options.signal?.aborted) onAbort();
      await upload.done();
    } catch (caught) {
      meter.destroy();
      body.destroy();
      await this.#abortMultipart(objectKey, upload.uploadId);
      const error = streamError instanceof StorageError ? streamError : caught;
      if ((error as Error)?.name === "AbortError") {
        throw new StorageError(`Cannot upload to "${url}": aborted; nothing was stored`, { cause: error });
      }
      throw classifyStorageError(error, { verb: "upload to", url, bucket: this.bucket });
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
    const verified = await this.#verifyUpload(key, meter, options.verify === "read-back");
    return {
      key,
      url,
      size: meter.bytes,
      sha256: meter.sha256,
      verified,
      durationMs: performance.now() - started,
    };
  }

  /** Streams the object (the GetObject body). @throws StorageError "not_found" / "no_bucket", AuthError. */
  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    const url = this.url(key);
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }),
        { abortSignal: options.signal },
      );
      return out.Body as Readable;
    } catch (error) {
      throw classifyStorageError(error, { verb: "read", url, bucket: this.bucket });
    }
  }

  /** HeadObject: size, `sha256` metadata, time, ETag, storage class; undefined when the key is absent. */
  async stat(key: string): Promise<ObjectInfo | undefined> {
    const head = await this.#head(key, "stat");
    if (!head) return undefined;
    return {
      key,
      size: head.ContentLength ?? 0,
      lastModified: head.LastModified ?? new Date(0),
      sha256: head.Metadata?.sha256,
      etag: head.ETag?.replace(/"/g, ""),
      storageClass: head.StorageClass ?? "STANDARD",
    };
  }

  /** ListObjectsV2 under the prefix, all pages; keys relative to the prefix, sorted. No metadata. */
  async list(prefix = ""): Promise<ObjectInfo[]> {
    const root = this.prefix ? `${this.prefix}/` : "";
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    try {
      for (let page = 0; page < MAX_LIST_PAGES; page++) {
        const res = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: root + prefix, ContinuationToken: token }),
        );
        for (const o of res.Contents ?? []) {
          if (!o.Key || o.Key.endsWith("/") || !o.Key.startsWith(root)) continue;
          out.push({
            key: o.Key.slice(root.length),
            size: o.Size ?? 0,
            lastModified: o.LastModified ?? new Date(0),
            etag: o.ETag?.replace(/"/g, ""),
            storageClass: o.StorageClass,
          });
        }
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
        if (!token) return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      }
    } catch (error) {
      throw classifyStorageError(error, { verb: "list", url: this.location, bucket: this.bucket });
    }
    throw new StorageError(`Cannot list "${this.location}": more than ${MAX_LIST_PAGES} pages of objects`);
  }

  /** DeleteObject (absent keys are fine). */
  async delete(key: string): Promise<void> {
    const url = this.url(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }));
    } catch (error) {
      throw classifyStorageError(error, { verb: "delete", url, bucket: this.bucket });
    }
  }

  /** See {@link retainArchives}. */
  retain(repoName: string, keepNewest: number, options: { dryRun?: boolean } = {}): Promise<RetentionResult> {
    return retainArchives(this, repoName, { keepNewest, dryRun: options.dryRun });
  }

  /** Best-effort AbortMultipartUpload so no parts linger; the upload was never completed either way. */
  async #abortMultipart(objectKey: string, uploadId: string | undefined): Promise<void> {
    if (!uploadId) return;
    await this.client.send(
      new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId }),
    )
      .catch(() => {});
  }

  #objectKey(key: string): string {
    validateKey(key);
    return joinKey(this.prefix, key);
  }

  /** HeadObject; on 404 tells a missing bucket (error) from a missing key (undefined). */
  async #head(key: string, verb: string): Promise<HeadObjectCommandOutput | undefined> {
    const url = this.url(key);
    try {
      return await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }),
      );
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
      if (status !== 404) throw classifyStorageError(error, { verb, url, bucket: this.bucket });
    }
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
      const e = status === 404 ? Object.assign(new Error("NoSuchBucket"), { name: "NoSuchBucket" }) : error;
      throw classifyStorageError(e, { verb, url, bucket: this.bucket });
    }
    return undefined;
  }

  async #verifyUpload(key: string, meter: Meter, readBack: boolean): Promise<PutResult["verified"]> {
    const url = this.url(key);
    const head = await this.#head(key, "verify upload to").catch((error) => {
      if (!(error instanceof AuthError)) throw error;
      throw new AuthError(
        `Cannot verify the upload to "${url}": reading it back was denied. The upload completed; grant s3:GetObject on the prefix so it can be checked`,
        { cause: error },
      );
    });
    const fail = async (why: string): Promise<never> => {
      await this.delete(key).catch(() => {});
      throw new StorageError(`Cannot upload to "${url}": ${why}; the object was deleted, upload again`, {
        reason: "integrity",
      });
    };
    if (!head) return await fail("the object is missing after the upload completed");
    if (head.ContentLength !== meter.bytes) {
      await fail(`stored size ${head.ContentLength}, sent ${meter.bytes}`);
    }
    if (head.Metadata?.sha256 !== meter.sha256) {
      await fail(`stored sha256 metadata is "${head.Metadata?.sha256}"`);
    }
    const etag = head.ETag?.replace(/"/g, "") ?? "";
    const md5Style = /^[0-9a-f]{32}(-\d+)?$/.test(etag) &&
      !this.#settings.serverSideEncryption?.startsWith("aws:kms");
    if (!readBack && md5Style && meter.etags().includes(etag)) return "size+sha256+etag";
    if (!readBack && !md5Style) return "size+sha256";
    const again = await hashObject(this, key);
    if (again.sha256 !== meter.sha256 || again.size !== meter.bytes) {
      await fail(`read back ${again.size} bytes with sha256 ${again.sha256}, sent ${meter.sha256}`);
    }
    return "read-back";
  }
}

/**
 * Part size: for a body of known size 5 MiB (S3's minimum) or larger, in whole MiB, so it needs at most
 * 9,000 parts; for a body of unknown size 16 MiB (objects up to ~156 GiB). Small parts keep memory low:
 * at most `queueSize` parts are in flight.
 */
export function partSizeFor(size?: number): number {
  if (size === undefined) return 16 * MIB;
  return Math.max(5 * MIB, Math.ceil(size / 9_000 / MIB) * MIB);
}
