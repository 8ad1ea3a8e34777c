/**
 * File-level transfers on top of any {@link Storage}: upload a local file, download an object to a
 * local file atomically (checked against its recorded sha256), hash an object as a stream.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { classifyStorageError, StorageError } from "./errors.ts";
import { hashFile, LocalStorage } from "./local.ts";
import type { PutOptions, PutResult, Storage } from "./types.ts";

/**
 * Uploads the local file `options.file` to `key`. When `options.sha256` is not given the file is read
 * once to hash it (S3 needs the digest before the upload starts), then streamed; the size is always
 * taken from the file, and a file that changes in between fails the put with nothing stored.
 * @throws StorageError "not_found" when the file is missing, plus everything `storage.put` throws.
 */
export async function putFile(
  storage: Storage,
  key: string,
  options: PutOptions & { file: string },
): Promise<PutResult> {
  const { file, ...putOptions } = options;
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw Object.assign(new Error("not a regular file"), { code: "ENOENT" });
    size = info.size;
  } catch (error) {
    throw new StorageError(`Cannot upload "${file}": it is not a readable file`, {
      reason: "not_found",
      cause: error,
    });
  }
  const sha256 = putOptions.sha256 ?? (await hashFile(file));
  return await storage.put(key, createReadStream(file), { ...putOptions, sha256, size });
}

/** The outcome of {@link getToFile}. */
export interface GetToFileResult {
  file: string;
  size: number;
  sha256: string;
  /** True when the object had sha256 metadata and the download matched it. */
  checked: boolean;
}

/**
 * Downloads `key` to `options.file` atomically (temp name, fsync, rename): a failed or interrupted
 * download never leaves a file with the final name. When the object carries sha256 metadata (S3) the
 * bytes must match it and its size.
 * @throws StorageError "not_found" when absent, "integrity" on a mismatch; AuthError; TransientError.
 */
export async function getToFile(
  storage: Storage,
  key: string,
  options: { file: string; signal?: AbortSignal },
): Promise<GetToFileResult> {
  const info = await storage.stat(key);
  if (!info) {
    throw new StorageError(`Cannot read "${storage.url(key)}": no such object`, { reason: "not_found" });
  }
  const body = await storage.get(key, { signal: options.signal });
  const target = new LocalStorage(dirname(options.file));
  let put: PutResult;
  try {
    put = await target.put(basename(options.file), body, {
      sha256: info.sha256,
      size: info.size,
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof StorageError && error.reason === "integrity") {
      throw new StorageError(
        `Cannot download "${storage.url(key)}": the bytes received differ from its recorded size/sha256 (${
          error.message.replace(/^.*: /, "")
        }); nothing was written`,
        { reason: "integrity", cause: error },
      );
    }
    throw classifyStorageError(error, { verb: "download", url: storage.url(key) });
  }
  return { file: put.url, size: put.size, sha256: put.sha256, checked: info.sha256 !== undefined };
}

/**
 * Streams an object through sha256 and returns its digest (lowercase hex) and size.
 * @throws what `storage.get` throws; a read that breaks midway is classified the same way.
 */
export async function hashObject(
  storage: Pick<Storage, "get" | "url">,
  key: string,
): Promise<{ sha256: string; size: number }> {
  const body = await storage.get(key);
  const hash = createHash("sha256");
  let size = 0;
  try {
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      hash.update(chunk as Buffer);
    }
  } catch (error) {
    throw classifyStorageError(error, { verb: "read", url: storage.url(key) });
  }
  return { sha256: hash.digest("hex"), size };
}
