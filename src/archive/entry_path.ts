/**
 * Archive entry path rules (docs/ARCHIVE-FORMAT.md, "Paths"). Every path in a tar header and in
 * `manifest.files[]` must pass {@link checkEntryPath} before it is compared, hashed or opened, so no
 * entry can name a file outside the directory it is extracted into.
 */

/** Longest accepted path, in UTF-8 bytes. */
export const MAX_PATH_BYTES = 4096;
/** Longest accepted path segment, in UTF-8 bytes (the common file-system limit). */
export const MAX_SEGMENT_BYTES = 255;

const encoder = new TextEncoder();

/**
 * Returns why `path` is not a safe relative archive path, or `undefined` when it is. Rejected: empty
 * paths, absolute paths (`/x`, `C:x`), backslashes, NUL and other control characters (C0, DEL, C1),
 * empty, `.` and `..` segments, trailing slashes, U+FFFD (an undecodable name), over-long paths.
 */
export function entryPathProblem(path: string): string | undefined {
  if (path.length === 0) return "empty path";
  if (encoder.encode(path).length > MAX_PATH_BYTES) return `longer than ${MAX_PATH_BYTES} bytes`;
  if (path.startsWith("/")) return "absolute path";
  if (/^[A-Za-z]:/.test(path)) return "drive-letter path";
  if (path.includes("\\")) return "backslash in path";
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(path)) return "control character in path";
  if (path.includes("\ufffd")) return "name is not valid UTF-8";
  for (const segment of path.split("/")) {
    if (segment === "") return "empty path segment";
    if (segment === "." || segment === "..") return `"${segment}" path segment`;
    if (encoder.encode(segment).length > MAX_SEGMENT_BYTES) {
      return `path segment longer than ${MAX_SEGMENT_BYTES} bytes`;
    }
  }
  return undefined;
}

/**
 * The key two paths collide on when extracted to a case-insensitive or normalising file system
 * (macOS, Windows): Unicode NFC, then lower case. Archives must not hold two entries with one key.
 */
export function collisionKey(path: string): string {
  return path.normalize("NFC").toLowerCase();
}

/** Every proper ancestor directory of `path`: `a/b/c` -> `a`, `a/b`. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  let i = path.indexOf("/");
  while (i !== -1) {
    out.push(path.slice(0, i));
    i = path.indexOf("/", i + 1);
  }
  return out;
}
