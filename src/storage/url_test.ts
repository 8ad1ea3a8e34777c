import assert from "node:assert/strict";
import { formatStorageUrl, joinKey, parseStorageUrl, splitKey, validateKey } from "./url.ts";

Deno.test("parseStorageUrl() tells s3:// URLs from local paths", async (t) => {
  const cases: [string, ReturnType<typeof parseStorageUrl>][] = [
    ["s3://bucket", { kind: "s3", bucket: "bucket", path: "" }],
    ["s3://bucket/", { kind: "s3", bucket: "bucket", path: "" }],
    ["s3://my.bucket-1/production/", { kind: "s3", bucket: "my.bucket-1", path: "production" }],
    ["S3://bucket/a/b/x.tar.gz", { kind: "s3", bucket: "bucket", path: "a/b/x.tar.gz" }],
    ["/mnt/usb/archives", { kind: "local", path: "/mnt/usb/archives" }],
    ["archives/x", { kind: "local", path: "/work/dir/archives/x" }],
    ["file:///mnt/usb%20stick", { kind: "local", path: "/mnt/usb stick" }],
  ];
  for (const [input, expected] of cases) {
    await t.step(input, () => assert.deepEqual(parseStorageUrl(input, { cwd: "/work/dir" }), expected));
  }
});

Deno.test("parseStorageUrl() refuses bad buckets, traversal and other schemes", async (t) => {
  const cases: [string, RegExp][] = [
    ["", /it is empty/],
    ["s3://", /not a valid S3 bucket name/],
    ["s3://Bucket/x", /"Bucket" is not a valid S3 bucket name/],
    ["s3://ab/x", /not a valid S3 bucket name/],
    ["s3://a..b/x", /not a valid S3 bucket name/],
    ["s3://bucket/a/../b", /contains a "\.\." path segment/],
    ["s3://bucket/a//b", /empty path segment/],
    ["https://example.com/x", /only s3:\/\/ URLs and local paths/],
  ];
  for (const [input, message] of cases) {
    await t.step(
      input || "(empty)",
      () => assert.throws(() => parseStorageUrl(input), { name: "TypeError", message }),
    );
  }
});

Deno.test("validateKey() accepts relative keys and refuses every escape", async (t) => {
  assert.equal(validateKey("a/b/repo-full-20250101-000000.tar.gz"), "a/b/repo-full-20250101-000000.tar.gz");
  const bad: [string, RegExp][] = [
    ["", /empty/],
    ["/etc/passwd", /absolute path/],
    ["..", /"\.\." path segment/],
    ["a/../../b", /"\.\." path segment/],
    ["./a", /"\." path segment/],
    ["a/", /empty path segment/],
    ["a\\..\\b", /backslash/],
    ["a\u0000b", /control character/],
    ["x".repeat(1025), /longer than 1024 bytes/],
  ];
  for (const [key, message] of bad) {
    await t.step(
      JSON.stringify(key).slice(0, 30),
      () => assert.throws(() => validateKey(key), { name: "TypeError", message }),
    );
  }
});

Deno.test("joinKey(), splitKey() and formatStorageUrl() compose keys with single slashes", () => {
  assert.equal(joinKey("production/", "/x.tar.gz"), "production/x.tar.gz");
  assert.equal(joinKey("", "x"), "x");
  assert.deepEqual(splitKey("a/b/c"), ["a/b", "c"]);
  assert.deepEqual(splitKey("c"), ["", "c"]);
  assert.equal(formatStorageUrl({ kind: "s3", bucket: "bkt", path: "" }), "s3://bkt");
  assert.equal(formatStorageUrl(parseStorageUrl("s3://bkt/p/")), "s3://bkt/p");
});
