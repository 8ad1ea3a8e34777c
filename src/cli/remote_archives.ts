/**
 * `archive verify|restore s3://bucket/key`: each archive named by an `s3://` URL is streamed to a
 * private temporary directory (never held in memory; its recorded sha256 checked on the way), with its
 * sidecars beside it — `<archive>.minisig`, and for a split archive's index every volume it lists — so
 * the local pipeline (signature first, then the one-pass verification) runs on the copies unchanged.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { SIGNATURE_SUFFIX } from "../archive/archive_signature.ts";
import { VOLUME_INDEX_SUFFIX } from "../archive/volumes.ts";
import { UsageError } from "../errors.ts";
import { getToFile, isS3Url, openStorageObject, type Storage } from "../storage/mod.ts";
import { formatBytes, formatSeconds, type Terminal } from "./terminal.ts";

/** Local copies of the archives given, in the same order. */
export interface FetchedArchives {
  /** Local paths (arguments that were not `s3://` URLs are returned as given). */
  paths: string[];
  /** Local path → the URL it was downloaded from. */
  origins: Map<string, string>;
  /** Removes the temporary directory (call in `finally`). */
  cleanup(): void;
}

/** Options of {@link fetchRemoteArchives}. */
export interface FetchRemoteOptions {
  /** Environment for the AWS chain and endpoint (AWS_ENDPOINT_URL_S3…). */
  env: Record<string, string | undefined>;
  /** Directory under which the temporary download directory is made (the same disk as the output). */
  under: string;
  terminal?: Terminal;
  signal?: AbortSignal;
}

/**
 * Downloads every `s3://` archive of `list` (see the module comment). Nothing is downloaded when no
 * argument is an `s3://` URL.
 * @throws UsageError for a bad URL; StorageError "not_found" when an archive is missing (sidecars are
 *   optional, volumes are not); StorageError "integrity" when bytes differ from the recorded sha256.
 */
export async function fetchRemoteArchives(
  list: string[],
  options: FetchRemoteOptions,
): Promise<FetchedArchives> {
  const origins = new Map<string, string>();
  if (!list.some(isS3Url)) return { paths: list, origins, cleanup: () => {} };
  mkdirSync(options.under, { recursive: true });
  const dir = mkdtempSync(join(options.under, ".repo-cloner-download-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const paths: string[] = [];
    for (const [i, item] of list.entries()) {
      if (!isS3Url(item)) {
        paths.push(item);
        continue;
      }
      const into = join(dir, String(i));
      mkdirSync(into);
      const local = await fetchOne(item, into, options);
      origins.set(local, item);
      paths.push(local);
    }
    return { paths, origins, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}

async function fetchOne(url: string, into: string, options: FetchRemoteOptions): Promise<string> {
  let opened: { storage: Storage; key: string };
  try {
    opened = openStorageObject(url, { env: options.env });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  const { storage, key } = opened;
  const local = join(into, basename(key));
  await download(storage, key, local, options);
  if (key.endsWith(VOLUME_INDEX_SUFFIX)) {
    for (const name of volumeNames(local, url)) {
      await download(storage, siblingKey(key, name), join(into, name), options);
    }
  }
  const sig = key + SIGNATURE_SUFFIX;
  if (await storage.stat(sig)) await download(storage, sig, local + SIGNATURE_SUFFIX, options);
  return local;
}

async function download(storage: Storage, key: string, file: string, options: FetchRemoteOptions) {
  const t = options.terminal;
  const started = performance.now();
  t?.line(`📥 Downloading ${storage.url(key)}...`);
  const got = await getToFile(storage, key, { file, signal: options.signal });
  t?.line(
    `   ${t.style("green", "✓")} ${formatBytes(got.size)} in ${formatSeconds(performance.now() - started)}${
      got.checked ? " (sha256 matches the recorded metadata)" : ""
    }`,
  );
}

/** The volume file names a downloaded index lists; each must be a plain file name. */
function volumeNames(indexFile: string, url: string): string[] {
  let volumes: unknown;
  try {
    volumes = JSON.parse(readFileSync(indexFile, "utf8")).volumes;
  } catch {
    return []; // not an index after all: verification names the problem
  }
  if (!Array.isArray(volumes)) return [];
  return volumes.map((v) => {
    const name = (v as { name?: unknown })?.name;
    if (typeof name !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name)) {
      throw new UsageError(`Cannot download the volumes of "${url}": the index names a volume "${name}"`);
    }
    return name;
  });
}

function siblingKey(key: string, name: string): string {
  const i = key.lastIndexOf("/");
  return i < 0 ? name : `${key.slice(0, i + 1)}${name}`;
}
