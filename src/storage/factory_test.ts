import assert from "node:assert/strict";
import { AuthError, TransientError, UsageError } from "../errors.ts";
import { classifyStorageError, StorageError } from "./errors.ts";
import { createStorage, openStorageObject, storageFromTarget, storageFromUrl } from "./factory.ts";
import { LocalStorage } from "./local.ts";
import { S3Storage } from "./s3.ts";

Deno.test("storageFromUrl() and openStorageObject() root storage at a location or an object's parent", () => {
  const s3 = storageFromUrl("s3://bucket-a/production/", { env: {} });
  assert.ok(s3 instanceof S3Storage);
  assert.equal(s3.location, "s3://bucket-a/production");
  assert.equal(s3.url("x.tar.gz"), "s3://bucket-a/production/x.tar.gz");
  const local = storageFromUrl("archives", { cwd: "/mnt/usb" });
  assert.ok(local instanceof LocalStorage);
  assert.equal(local.location, "/mnt/usb/archives");

  const obj = openStorageObject("s3://bucket-a/p/q/x.tar.gz", { env: {} });
  assert.equal(obj.storage.location, "s3://bucket-a/p/q");
  assert.equal(obj.key, "x.tar.gz");
  assert.equal(obj.storage.url(obj.key + ".minisig"), "s3://bucket-a/p/q/x.tar.gz.minisig");
  const top = openStorageObject("s3://bucket-a/x.tar.gz", { env: {} });
  assert.equal(top.storage.location, "s3://bucket-a");
  const file = openStorageObject("/mnt/usb/x.tar.gz");
  assert.equal(file.storage.location, "/mnt/usb");
  assert.throws(() => openStorageObject("s3://bucket-a/", { env: {} }), /names a bucket, not an object/);
});

Deno.test("storageFromTarget() maps a config s3 target and rejects bad settings as usage errors", async (t) => {
  const ok = storageFromTarget({
    type: "s3",
    bucket: "myorg-repo-backups",
    region: "us-east-1",
    prefix: "production/",
    storage_class: "STANDARD_IA",
    server_side_encryption: "aws:kms",
    kms_key_id: "arn:aws:kms:us-east-1:111122223333:key/abc",
  }, { env: {} });
  assert.equal(ok.location, "s3://myorg-repo-backups/production");
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ type: "github" }, /only type s3 is storage/],
    [{ type: "s3" }, /targets\[\]\.bucket is required/],
    [{ type: "s3", bucket: "Bad_Bucket" }, /not a valid S3 bucket name/],
    [
      { type: "s3", bucket: "bkt", server_side_encryption: "rot13" },
      /use one of AES256, aws:kms, aws:kms:dsse/,
    ],
    [{ type: "s3", bucket: "bkt", kms_key_id: "k" }, /set server_side_encryption to "aws:kms"/],
    [{ type: "s3", bucket: "bkt", storage_class: "cheap please" }, /expected a name like STANDARD_IA/],
    [{ type: "s3", bucket: "bkt", endpoint: "http://user:pw@host" }, /^(?!.*pw).*without credentials/],
    [{ type: "s3", bucket: "bkt", endpoint: "ftp://host" }, /expected http\(s\):\/\/host/],
  ];
  for (const [target, message] of bad) {
    await t.step(JSON.stringify(target), () => {
      assert.throws(() => storageFromTarget(target as { type: string }, { env: {} }), (e: Error) => {
        assert.ok(e instanceof UsageError, String(e));
        assert.match(e.message, message);
        return true;
      });
    });
  }
});

Deno.test("createStorage() registers AWS secrets from the environment for redaction", async () => {
  const { redactor } = await import("../log/redact.ts");
  createStorage({ type: "s3", bucket: "bkt" }, { env: { AWS_SECRET_ACCESS_KEY: "aws-secret-1234567890" } });
  assert.equal(redactor.redact("x aws-secret-1234567890 y"), "x *** y");
});

Deno.test("classifyStorageError() maps SDK and network errors to typed errors", async (t) => {
  const ctx = { verb: "upload to", url: "s3://bkt/k", bucket: "bkt" };
  const sdk = (name: string, status?: number) =>
    Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });
  const cases: [string, unknown, new (...a: never[]) => Error, RegExp][] = [
    ["NoSuchBucket", sdk("NoSuchBucket", 404), StorageError, /bucket "bkt" does not exist/],
    ["NoSuchKey", sdk("NoSuchKey", 404), StorageError, /no such object/],
    [
      "AccessDenied",
      sdk("AccessDenied", 403),
      AuthError,
      /access to bucket "bkt" was denied \(AccessDenied\)/,
    ],
    ["bare 403", sdk("Unknown", 403), AuthError, /denied \(/],
    ["no credentials", sdk("CredentialsProviderError"), AuthError, /no AWS credentials found/],
    ["503", sdk("ServiceUnavailable", 503), TransientError, /ServiceUnavailable; try again later/],
    [
      "reset",
      Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
      TransientError,
      /ECONNRESET/,
    ],
    [
      "nested cause",
      new Error("outer", { cause: Object.assign(new Error("x"), { code: "ETIMEDOUT" }) }),
      TransientError,
      /ETIMEDOUT/,
    ],
    [
      "other",
      sdk("InvalidObjectState", 400),
      StorageError,
      /InvalidObjectState: InvalidObjectState happened/,
    ],
  ];
  for (const [name, error, type, message] of cases) {
    await t.step(name, () => {
      const e = classifyStorageError(error, ctx);
      assert.ok(e instanceof type, `${name}: ${e.constructor.name}`);
      assert.match(e.message, /^Cannot upload to "s3:\/\/bkt\/k": /);
      assert.match(e.message, message);
    });
  }
  const already = new StorageError("x");
  assert.equal(classifyStorageError(already, ctx), already);
});
