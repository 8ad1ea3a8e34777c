/**
 * Storage locations and keys: `s3://bucket/prefix/key` versus local paths, and the one key validator
 * both backends use so that no key can climb out of its root.
 */
import { isAbsolute, resolve } from "node:path";

/** A parsed storage location: an S3 bucket plus path, or an absolute local path. */
export type StorageLocation =
  | { kind: "s3"; bucket: string; path: string }
  | { kind: "local"; path: string };

const S3_SCHEME = /^s3:\/\//i;
const FILE_SCHEME = /^file:\/\//i;
/** S3 bucket naming rules (lowercase, digits, dots, hyphens; 3–63 characters; no leading/trailing dot). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** True when `name` follows the S3 bucket naming rules. */
export function isBucketName(name: string): boolean {
  return BUCKET.test(name) && !name.includes("..");
}

/** True when `text` names an S3 location (`s3://…`). */
export function isS3Url(text: string): boolean {
  return S3_SCHEME.test(text);
}

/**
 * Parses a storage URL. `s3://bucket/a/b` gives `{ kind: "s3", bucket: "bucket", path: "a/b" }` (path
 * without leading or trailing slashes, "" for the bucket root); `file:///x` and plain paths give an
 * absolute local path, resolved against `options.cwd` (default `process.cwd()`).
 * @throws TypeError for an empty string, a bad bucket name, or a path with `.`/`..` segments after `s3://`.
 */
export function parseStorageUrl(text: string, options: { cwd?: string } = {}): StorageLocation {
  const raw = text.trim();
  if (raw === "") throw new TypeError("Cannot parse storage location: it is empty");
  if (S3_SCHEME.test(raw)) {
    const rest = raw.replace(S3_SCHEME, "");
    const slash = rest.indexOf("/");
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const path = trimSlashes(slash < 0 ? "" : rest.slice(slash + 1));
    if (!isBucketName(bucket)) {
      throw new TypeError(
        `Cannot parse storage location "${raw}": "${bucket}" is not a valid S3 bucket name (3-63 lowercase letters, digits, dots or hyphens)`,
      );
    }
    if (path !== "") validateKey(path, { what: `storage location "${raw}"` });
    return { kind: "s3", bucket, path };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) && !FILE_SCHEME.test(raw)) {
    throw new TypeError(
      `Cannot parse storage location "${raw}": only s3:// URLs and local paths are supported`,
    );
  }
  const local = FILE_SCHEME.test(raw) ? decodeURIComponent(raw.replace(FILE_SCHEME, "")) : raw;
  return { kind: "local", path: resolve(options.cwd ?? process.cwd(), local) };
}

/** Formats a location back to its URL form: `s3://bucket/path` or the absolute local path. */
export function formatStorageUrl(location: StorageLocation): string {
  if (location.kind === "local") return location.path;
  return location.path ? `s3://${location.bucket}/${location.path}` : `s3://${location.bucket}`;
}

/**
 * Checks an object key relative to a storage root: non-empty, `/`-separated, no leading `/`, no
 * empty, `.` or `..` segment, no backslash or control character, at most 1024 bytes.
 * @throws TypeError naming the key and the rule it broke.
 */
export function validateKey(key: string, options: { what?: string } = {}): string {
  const what = options.what ?? `key "${key}"`;
  const fail = (why: string): never => {
    throw new TypeError(`Cannot use ${what}: ${why}`);
  };
  if (key === "") fail("it is empty");
  if (isAbsolute(key) || key.startsWith("/")) {
    fail("it is an absolute path; keys are relative to the storage root");
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(key)) fail("it contains a backslash or a control character");
  if (Buffer.byteLength(key) > 1024) fail("it is longer than 1024 bytes");
  for (const segment of key.split("/")) {
    if (segment === "") fail("it contains an empty path segment");
    if (segment === "." || segment === "..") fail(`it contains a "${segment}" path segment`);
  }
  return key;
}

/** Joins path parts with single slashes, ignoring empty parts: `joinKey("a/", "/b")` is `"a/b"`. */
export function joinKey(...parts: string[]): string {
  return parts.map(trimSlashes).filter((p) => p !== "").join("/");
}

/** Splits `a/b/c` into `["a/b", "c"]`; a key without a slash gives `["", key]`. */
export function splitKey(path: string): [string, string] {
  const i = path.lastIndexOf("/");
  return i < 0 ? ["", path] : [path.slice(0, i), path.slice(i + 1)];
}

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, "");
}
