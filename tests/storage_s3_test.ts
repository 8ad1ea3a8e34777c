/**
 * The S3 backend against a real S3-protocol server (s3rver on 127.0.0.1), a fault-injecting proxy,
 * and the real AWS CLI as an independent client.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { inspect } from "node:util";
import { AuthError, TransientError } from "../src/errors.ts";
import {
  createStorage,
  hashObject,
  type S3Storage,
  type Storage,
  type StorageError,
} from "../src/storage/mod.ts";
import { CANARY } from "./support/binary.ts";
import { randomSha256, randomStream } from "./support/random_data.ts";
import { runAwsCli, S3_ACCESS_KEY_ID, startS3Server } from "./support/s3_server.ts";
import { startS3Proxy } from "./support/s3_proxy.ts";

const MIB = 1024 * 1024;
const BUCKET = "rc-backups";
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const testOpts = { sanitizeOps: false, sanitizeResources: false };

/** Storage against `endpoint` with the CANARY as secret key (s3rver does not check SigV4 signatures). */
function s3At(
  endpoint: string,
  options: { bucket?: string; prefix?: string; accessKeyId?: string } = {},
): S3Storage {
  return createStorage({
    type: "s3",
    bucket: options.bucket ?? BUCKET,
    prefix: options.prefix ?? "production/",
    region: "us-east-1",
    endpoint,
    maxAttempts: 2,
  }, {
    env: {},
    credentials: { accessKeyId: options.accessKeyId ?? S3_ACCESS_KEY_ID, secretAccessKey: CANARY },
  }) as S3Storage;
}

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Keys in the bucket as seen directly on the server (not through the code under test). */
async function serverKeys(storage: Storage): Promise<string[]> {
  return (await storage.list()).map((o) => o.key);
}

function assertNoCanary(value: unknown): void {
  const text = typeof value === "string" ? value : inspect(value, { depth: 8 });
  assert.ok(!text.includes(CANARY), "the secret key leaked");
}

Deno.test("S3Storage put/get/stat/list/delete round trip under a prefix", testOpts, async () => {
  const server = await startS3Server({ buckets: [BUCKET] });
  try {
    const s = s3At(server.endpoint);
    const other = s3At(server.endpoint, { prefix: "production2" });
    const data = Buffer.from("archive bytes ".repeat(5000));
    const put = await s.put("api-full-20250101-000000.tar.gz", Readable.from([data]), {
      sha256: sha(data),
      size: data.length,
    });
    assert.equal(put.url, `s3://${BUCKET}/production/api-full-20250101-000000.tar.gz`);
    assert.equal(put.verified, "size+sha256+etag");
    await other.put("elsewhere.tar.gz", Readable.from([Buffer.from("x")]), { sha256: sha("x") });
    assert.deepEqual(await readAll(await s.get("api-full-20250101-000000.tar.gz")), data);
    const info = await s.stat("api-full-20250101-000000.tar.gz");
    assert.equal(info?.size, data.length);
    assert.equal(info?.sha256, sha(data));
    assert.equal(info?.etag, createHash("md5").update(data).digest("hex"));
    assert.deepEqual(
      await serverKeys(s),
      ["api-full-20250101-000000.tar.gz"],
      "production2/ is not below production/",
    );
    assert.equal(await s.stat("nothing-here"), undefined);
    await assert.rejects(s.get("nothing-here"), (e: StorageError) => e.reason === "not_found");
    await s.delete("api-full-20250101-000000.tar.gz");
    await s.delete("api-full-20250101-000000.tar.gz");
    assert.deepEqual(await serverKeys(s), []);
    assert.deepEqual(await serverKeys(other), ["elsewhere.tar.gz"]);
    await assert.rejects(
      s.put("no-digest", Readable.from([Buffer.from("x")])),
      /the body's sha256 is required/,
    );
  } finally {
    await server.close();
  }
});

Deno.test(
  "S3Storage streams a 72 MiB multipart upload; the AWS CLI reads back the same sha256",
  testOpts,
  async () => {
    const server = await startS3Server({ buckets: [BUCKET] });
    const proxy = await startS3Proxy({ upstreamPort: server.port });
    const dir = mkdtempSync(join(tmpdir(), "rc-s3-cli-"));
    try {
      const s = s3At(proxy.endpoint);
      const size = 72 * MIB;
      const digest = await randomSha256(size, "multipart");
      const progress: number[] = [];
      const key = "big-full-20250101-000000.tar.gz";
      const put = await s.put(key, randomStream(size, "multipart"), {
        sha256: digest,
        size,
        onProgress: (p) => progress.push(p.bytes),
      });
      assert.equal(put.size, size);
      assert.equal(put.sha256, digest);
      assert.equal(put.verified, "size+sha256+etag", "the stored ETag matches the MD5s of what was sent");
      const parts = proxy.log.filter((r) => r.method === "PUT" && /[?&]partNumber=\d+/.test(r.url));
      assert.equal(parts.length, 15, "15 parts of 5 MiB: a real multipart upload");
      assert.ok(
        proxy.log.some((r) => r.method === "POST" && /[?&]uploads/.test(r.url)),
        "CreateMultipartUpload",
      );
      assert.ok(
        proxy.log.some((r) => r.method === "POST" && /[?&]uploadId=/.test(r.url)),
        "CompleteMultipartUpload",
      );
      assert.ok(progress.length >= 15 && progress.at(-1) === size, `progress ${progress.join(",")}`);
      assert.deepEqual(progress, [...progress].sort((a, b) => a - b));

      const env = { ...server.awsEnv(CANARY) };
      const ls = await runAwsCli([
        "--endpoint-url",
        server.endpoint,
        "s3",
        "ls",
        `s3://${BUCKET}/production/`,
      ], env);
      assert.equal(ls.code, 0, ls.stderr);
      assert.match(ls.stdout.toString(), new RegExp(`\\s${size}\\s+${key.replace(/\./g, "\\.")}`));
      const head = await runAwsCli([
        "--endpoint-url",
        server.endpoint,
        "s3api",
        "head-object",
        "--bucket",
        BUCKET,
        "--key",
        `production/${key}`,
      ], env);
      assert.equal(head.code, 0, head.stderr);
      assert.equal(JSON.parse(head.stdout.toString()).Metadata.sha256, digest);
      const file = join(dir, "downloaded.tar.gz");
      const cp = await runAwsCli([
        "--endpoint-url",
        server.endpoint,
        "s3",
        "cp",
        `s3://${BUCKET}/production/${key}`,
        file,
      ], env);
      assert.equal(cp.code, 0, cp.stderr);
      assert.equal(sha(readFileSync(file)), digest, "the AWS CLI download hashes to the metadata sha256");
      for (const out of [ls.stdout.toString(), ls.stderr, head.stdout.toString(), cp.stderr]) {
        assertNoCanary(
          out,
        );
      }

      // The other way round: an object uploaded by the AWS CLI is read, streamed, by our backend.
      const up = await runAwsCli([
        "--endpoint-url",
        server.endpoint,
        "s3",
        "cp",
        file,
        `s3://${BUCKET}/production/by-cli.bin`,
      ], env);
      assert.equal(up.code, 0, up.stderr);
      assert.deepEqual(await hashObject(s, "by-cli.bin"), { sha256: digest, size });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await proxy.close();
      await server.close();
    }
  },
);

Deno.test(
  "S3Storage.put() does not buffer the body: reading stalls when the network does",
  testOpts,
  async () => {
    const server = await startS3Server({ buckets: [BUCKET] });
    const proxy = await startS3Proxy({ upstreamPort: server.port, holdAfterBytes: 20 * MIB });
    try {
      const s = s3At(proxy.endpoint);
      let read = 0;
      const body = randomStream(1024 * MIB, "huge");
      body.on("data", (c: Buffer) => read += c.length);
      const ac = new AbortController();
      const put = s.put("huge-full-20250101-000000.tar.gz", body, {
        sha256: "0".repeat(64),
        signal: ac.signal,
      });
      put.catch(() => {});
      // Wait (bounded by count) until the proxy holds the upload and the source stops being read.
      let last = -1;
      for (let i = 0; i < 400 && !(proxy.tripped() && read === last); i++) {
        last = read;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(proxy.tripped(), "the upload reached the proxy's hold point");
      assert.ok(
        read < 20 * MIB + 5 * 16 * MIB,
        `read ${
          read / MIB
        } MiB of 1024 while 20 MiB went out; bound: sent + (2 in flight + 3) x 16 MiB parts`,
      );
      ac.abort();
      await assert.rejects(put, (e: StorageError) => /aborted; nothing was stored/.test(e.message));
      assert.deepEqual(await serverKeys(s3At(server.endpoint)), []);
    } finally {
      await proxy.close();
      await server.close();
    }
  },
);

Deno.test(
  "S3Storage leaves no object under the final key when an upload fails midway",
  testOpts,
  async (t) => {
    const server = await startS3Server({ buckets: [BUCKET] });
    try {
      const direct = s3At(server.endpoint);
      await t.step("the network drops after 20 MiB", async () => {
        const proxy = await startS3Proxy({ upstreamPort: server.port, dropAfterBytes: 20 * MIB });
        try {
          const size = 40 * MIB;
          await assert.rejects(
            s3At(proxy.endpoint).put("cut-full-20250101-000000.tar.gz", randomStream(size, "cut"), {
              sha256: await randomSha256(size, "cut"),
              size,
            }),
            (e: Error) => {
              assert.ok(e instanceof TransientError, inspect(e));
              assert.match(
                e.message,
                /^Cannot upload to "s3:\/\/rc-backups\/production\/cut-full-20250101-000000\.tar\.gz": /,
              );
              assertNoCanary(e);
              return true;
            },
          );
          assert.ok(proxy.tripped());
        } finally {
          await proxy.close();
        }
      });
      await t.step("the source breaks after 20 MiB", async () => {
        let n = 0;
        const broken = new Readable({
          read() {
            if (n++ < 20) this.push(Buffer.alloc(MIB, n));
            else this.destroy(new Error("disk read failed"));
          },
        });
        await assert.rejects(
          direct.put("broken-full-20250101-000000.tar.gz", broken, { sha256: "1".repeat(64) }),
          /Cannot upload to "s3:\/\/rc-backups\/production\/broken-full-20250101-000000\.tar\.gz": Error: disk read failed$/,
        );
      });
      await t.step("the body does not match its declared sha256", async () => {
        await assert.rejects(
          direct.put("liar-full-20250101-000000.tar.gz", randomStream(12 * MIB, "liar"), {
            sha256: "2".repeat(64),
          }),
          (e: StorageError) => e.reason === "integrity",
        );
      });
      assert.deepEqual(
        await serverKeys(direct),
        [],
        "no object, complete-looking or not, under any final key",
      );
      const ls = await runAwsCli([
        "--endpoint-url",
        server.endpoint,
        "s3",
        "ls",
        "--recursive",
        `s3://${BUCKET}/`,
      ], {
        ...server.awsEnv("x-secret"),
      });
      assert.equal(ls.stdout.toString().trim(), "", ls.stderr);
    } finally {
      await server.close();
    }
  },
);

Deno.test(
  "S3Storage names a missing bucket and maps denied access to AuthError without the secret",
  testOpts,
  async (t) => {
    const server = await startS3Server({ buckets: [BUCKET] });
    const proxy = await startS3Proxy({ upstreamPort: server.port, denyAccessKeys: ["AKIADENIED"] });
    try {
      await t.step("bucket missing", async () => {
        const s = s3At(server.endpoint, { bucket: "no-such-bucket", prefix: "" });
        await assert.rejects(
          s.put("x.tar.gz", Readable.from([Buffer.from("x")]), { sha256: sha("x") }),
          (e: StorageError) => {
            assert.equal(e.reason, "no_bucket");
            assert.equal(e.exitCode, 1);
            assert.equal(
              e.message,
              'Cannot upload to "s3://no-such-bucket/x.tar.gz": bucket "no-such-bucket" does not exist. Create it or fix targets[].bucket',
            );
            return true;
          },
        );
        await assert.rejects(s.list(), (e: StorageError) => e.reason === "no_bucket");
        await assert.rejects(s.stat("x.tar.gz"), (e: StorageError) => e.reason === "no_bucket");
        await assert.rejects(s.get("x.tar.gz"), (e: StorageError) => e.reason === "no_bucket");
      });
      await t.step("access denied (403 AccessDenied)", async () => {
        const s = s3At(proxy.endpoint, { accessKeyId: "AKIADENIED" });
        for (
          const op of [
            () => s.put("x", Readable.from([Buffer.from("x")]), { sha256: sha("x") }),
            () => s.list(),
          ]
        ) {
          await assert.rejects(op(), (e: Error) => {
            assert.ok(e instanceof AuthError, inspect(e));
            assert.equal(e.exitCode, 5);
            assert.match(e.message, /access to bucket "rc-backups" was denied \(AccessDenied\)/);
            assertNoCanary(e);
            return true;
          });
        }
        assert.ok(proxy.log.some((r) => r.status === 403));
        for (const r of proxy.log) assertNoCanary(r.headers);
      });
      await t.step("write-only credentials: the upload completes, the check after it is denied", async () => {
        const writeOnly = await startS3Proxy({
          upstreamPort: server.port,
          denyWhen: (r) => r.method === "HEAD" || r.method === "GET",
        });
        try {
          const s = s3At(writeOnly.endpoint);
          await assert.rejects(
            s.put("w.tar.gz", Readable.from([Buffer.from("w")]), { sha256: sha("w") }),
            (e: Error) => {
              assert.ok(e instanceof AuthError, inspect(e));
              assert.match(
                e.message,
                /Cannot verify the upload to "s3:\/\/rc-backups\/production\/w\.tar\.gz": reading it back was denied/,
              );
              return true;
            },
          );
          assert.equal(
            (await s3At(server.endpoint).stat("w.tar.gz"))?.sha256,
            sha("w"),
            "the object itself is complete",
          );
        } finally {
          await writeOnly.close();
        }
      });
      await t.step("unknown access key (s3rver's own InvalidAccessKeyId)", async () => {
        const s = s3At(server.endpoint, { accessKeyId: "AKIAUNKNOWN" });
        await assert.rejects(s.list(), (e: Error) => {
          assert.ok(e instanceof AuthError, inspect(e));
          assert.match(e.message, /\(InvalidAccessKeyId\)/);
          assertNoCanary(e);
          return true;
        });
      });
    } finally {
      await proxy.close();
      await server.close();
    }
  },
);

Deno.test(
  "S3Storage.retain() keeps the newest N of one repository with their sidecars",
  testOpts,
  async () => {
    const server = await startS3Server({ buckets: [BUCKET] });
    try {
      const s = s3At(server.endpoint);
      const names = [
        "api-full-20250101-000000.tar.gz",
        "api-full-20250101-000000.tar.gz.minisig",
        "api-full-20250102-000000.tar.gz",
        "api-full-20250102-000000.tar.gz.report.html",
        "api-full-20250103-000000.tar.gz",
        "api-full-20250103-000000.tar.gz.minisig",
        "api-gateway-full-20241231-000000.tar.gz",
        "notes.txt",
      ];
      for (const n of names) await s.put(n, Readable.from([Buffer.from(n)]), { sha256: sha(n) });
      const r = await s.retain("api", 1);
      assert.deepEqual(r.kept, ["api-full-20250103-000000.tar.gz"]);
      assert.deepEqual(await serverKeys(s), [
        "api-full-20250103-000000.tar.gz",
        "api-full-20250103-000000.tar.gz.minisig",
        "api-gateway-full-20241231-000000.tar.gz",
        "notes.txt",
      ]);
    } finally {
      await server.close();
    }
  },
);
