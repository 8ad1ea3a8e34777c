/**
 * End-to-end: the compiled binary's `storage` commands (AWS SDK inside the bun-compiled executable)
 * against s3rver, a fault proxy and the real AWS CLI; kill-mid-write for both backends.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStorage } from "../src/storage/mod.ts";
import { BINARY, CANARY, cleanPath, runBinary } from "./support/binary.ts";
import { writeRandomFile } from "./support/random_data.ts";
import { runAwsCli, S3_ACCESS_KEY_ID, startS3Server } from "./support/s3_server.ts";
import { startS3Proxy } from "./support/s3_proxy.ts";

const MIB = 1024 * 1024;
const BUCKET = "rc-backups";
const testOpts = { sanitizeOps: false, sanitizeResources: false };

/** Keys under `prefix` as the server holds them, read with our backend but bypassing the binary. */
async function keysOn(endpoint: string, prefix = ""): Promise<string[]> {
  const s = createStorage({ type: "s3", bucket: BUCKET, prefix, region: "us-east-1", endpoint }, {
    env: {},
    credentials: { accessKeyId: S3_ACCESS_KEY_ID, secretAccessKey: "x" },
  });
  return (await s.list()).map((o) => o.key);
}

function assertClean(...texts: string[]): void {
  for (const t of texts) assert.ok(!t.includes(CANARY), `the secret key leaked:\n${t}`);
}

/** Starts the binary with a piped stdin, for tests that feed it slowly or kill it. */
function startBinary(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(BINARY, args, {
    env: { HOME: tmpdir(), PATH: cleanPath(), NO_COLOR: "1", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

Deno.test(
  "binary: storage put/ls/stat/get against S3 with AWS_ENDPOINT_URL_S3 from the environment",
  testOpts,
  async () => {
    const server = await startS3Server({ buckets: [BUCKET] });
    const dir = mkdtempSync(join(tmpdir(), "rc-storage-cli-"));
    try {
      const file = join(dir, "api-full-20250101-000000.tar.gz");
      const digest = await writeRandomFile(file, 24 * MIB, "cli");
      const log = join(dir, "run.log");
      const env = { ...server.awsEnv(CANARY), AWS_ENDPOINT_URL_S3: server.endpoint };
      const put = await runBinary(["--log-file", log, "storage", "put", file, `s3://${BUCKET}/prod/`], {
        env,
      });
      assert.equal(put.code, 0, put.stderr);
      assert.match(put.stdout, /^☁️ {2}Uploading to s3 storage\.\.\.\n/);
      assert.match(put.stdout, /✓ Uploaded to: s3:\/\/rc-backups\/prod\/api-full-20250101-000000\.tar\.gz\n/);
      assert.match(put.stdout, /Size: 24\.0 MB\n/);
      assert.match(put.stdout, new RegExp(`sha256: ${digest} \\(checked: size\\+sha256\\+etag\\)`));
      assert.match(put.stdout, /Duration: \d+\.\ds\n/);

      const ls = await runBinary(["storage", "ls", `s3://${BUCKET}/prod`], { env });
      assert.equal(ls.code, 0, ls.stderr);
      assert.match(
        ls.stdout,
        /24\.0 MB {2}api-full-20250101-000000\.tar\.gz\n1 object\(s\) in s3:\/\/rc-backups\/prod\n/,
      );

      const stat = await runBinary([
        "storage",
        "stat",
        "--hash",
        `s3://${BUCKET}/prod/api-full-20250101-000000.tar.gz`,
      ], { env });
      assert.equal(stat.code, 0, stat.stderr);
      assert.match(
        stat.stdout,
        new RegExp(`sha256: ${digest}\\n[\\s\\S]*Read back: ${digest}\\n[\\s\\S]*✓ Content matches`),
      );

      const out = join(dir, "out", "copy.tar.gz");
      const get = await runBinary([
        "storage",
        "get",
        `s3://${BUCKET}/prod/api-full-20250101-000000.tar.gz`,
        out,
      ], { env });
      assert.equal(get.code, 0, get.stderr);
      assert.match(get.stdout, /\(matches the recorded sha256\)/);
      assert.equal(createHash("sha256").update(readFileSync(out)).digest("hex"), digest);

      // Independent check with the AWS CLI: the metadata the binary wrote, and the bytes.
      const head = await runAwsCli([
        "--endpoint-url",
        server.endpoint,
        "s3api",
        "head-object",
        "--bucket",
        BUCKET,
        "--key",
        "prod/api-full-20250101-000000.tar.gz",
      ], server.awsEnv(CANARY));
      assert.equal(head.code, 0, head.stderr);
      assert.equal(JSON.parse(head.stdout.toString()).Metadata.sha256, digest);
      assert.equal(JSON.parse(head.stdout.toString()).ContentLength, 24 * MIB);

      const json = await runBinary(["--json", "storage", "ls", `s3://${BUCKET}/prod`], { env });
      assert.equal(json.code, 0, json.stderr);
      assert.equal(JSON.parse(json.stdout).objects[0].size, 24 * MIB);
      assertClean(
        put.stdout,
        put.stderr,
        ls.stdout,
        stat.stdout,
        get.stdout,
        json.stdout,
        readFileSync(log, "utf8"),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await server.close();
    }
  },
);

Deno.test(
  "binary: storage errors — missing bucket exit 1, denied exit 5, no credentials exit 5",
  testOpts,
  async () => {
    const server = await startS3Server({ buckets: [BUCKET] });
    const proxy = await startS3Proxy({ upstreamPort: server.port, denyAccessKeys: ["AKIADENIED"] });
    const dir = mkdtempSync(join(tmpdir(), "rc-storage-cli-"));
    try {
      const file = join(dir, "x.tar.gz");
      writeFileSync(file, "x");
      const env: Record<string, string> = { ...server.awsEnv(CANARY), AWS_ENDPOINT_URL: server.endpoint };
      const missing = await runBinary(["storage", "put", file, "s3://nope-bucket/a/x.tar.gz"], { env });
      assert.equal(missing.code, 1, missing.stderr);
      assert.equal(
        missing.stderr,
        '✗ Cannot upload to "s3://nope-bucket/a/x.tar.gz": bucket "nope-bucket" does not exist. Create it or fix targets[].bucket\n',
      );
      const denied = await runBinary([
        "storage",
        "put",
        "--endpoint",
        proxy.endpoint,
        file,
        `s3://${BUCKET}/x.tar.gz`,
      ], {
        env: { ...env, AWS_ACCESS_KEY_ID: "AKIADENIED" },
      });
      assert.equal(denied.code, 5, denied.stderr);
      assert.match(
        denied.stderr,
        /Cannot upload to "s3:\/\/rc-backups\/x\.tar\.gz": access to bucket "rc-backups" was denied \(AccessDenied\)/,
      );
      const { AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _s, ...noCreds } = env;
      const anonymous = await runBinary(["storage", "ls", `s3://${BUCKET}`], { env: noCreds });
      assert.equal(anonymous.code, 5, anonymous.stderr);
      assert.match(anonymous.stderr, /Cannot list "s3:\/\/rc-backups": no AWS credentials found/);
      const absent = await runBinary(["storage", "stat", `s3://${BUCKET}/none.tar.gz`], { env });
      assert.equal(absent.code, 1);
      assert.match(absent.stderr, /Cannot stat "s3:\/\/rc-backups\/none\.tar\.gz": no such object/);
      assertClean(
        missing.stdout,
        missing.stderr,
        denied.stdout,
        denied.stderr,
        anonymous.stderr,
        absent.stderr,
      );
      assert.deepEqual(await keysOn(server.endpoint), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await proxy.close();
      await server.close();
    }
  },
);

Deno.test("binary: killed mid-upload to S3 leaves no object under the final key", testOpts, async () => {
  const server = await startS3Server({ buckets: [BUCKET] });
  const proxy = await startS3Proxy({ upstreamPort: server.port, holdAfterBytes: 12 * MIB });
  const dir = mkdtempSync(join(tmpdir(), "rc-storage-cli-"));
  try {
    const file = join(dir, "big-full-20250101-000000.tar.gz");
    await writeRandomFile(file, 40 * MIB, "kill");
    const child = startBinary(["storage", "put", file, `s3://${BUCKET}/prod/`], {
      ...server.awsEnv(CANARY),
      AWS_ENDPOINT_URL: proxy.endpoint,
    });
    const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
    await until("the upload to reach the proxy's hold point", () => proxy.tripped());
    const partsSent = proxy.log.filter((r) => /[?&]partNumber=/.test(r.url)).length;
    assert.ok(partsSent >= 2, `parts were in flight (${partsSent})`);
    child.kill("SIGKILL");
    await exited;
    assert.deepEqual(await keysOn(server.endpoint, "prod"), [], "nothing listed under the final key");
    assert.ok(!proxy.log.some((r) => r.method === "POST" && /[?&]uploadId=/.test(r.url)), "never completed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await proxy.close();
    await server.close();
  }
});

Deno.test("binary: killed mid-write to local storage leaves only a .partial file", testOpts, async () => {
  const dir = mkdtempSync(join(tmpdir(), "rc-storage-cli-"));
  try {
    const store = join(dir, "usb");
    const child = startBinary(["storage", "put", "-", join(store, "x-full-20250101-000000.tar.gz")], {});
    const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
    child.stdin!.write(Buffer.alloc(3 * MIB, 1));
    const partial = () => existsSync(store) ? readdirSync(store).filter((n) => n.endsWith(".partial")) : [];
    await until(
      "a partial file with data",
      () => partial().length === 1 && statSync(join(store, partial()[0])).size > 0,
    );
    child.kill("SIGKILL");
    await exited;
    assert.deepEqual(readdirSync(store).length, 1);
    assert.match(readdirSync(store)[0], /^x-full-20250101-000000\.tar\.gz\.[0-9a-f]{12}\.partial$/);
    const ls = await runBinary(["storage", "ls", store]);
    assert.equal(ls.stdout, `0 object(s) in ${store}\n`, "a partial write is never listed");

    // The same command completing normally: the final name appears, no partial is left.
    const done = await runBinary(["storage", "put", "-", join(store, "y.tar.gz")], { input: "complete" });
    assert.equal(done.code, 0, done.stderr);
    assert.equal(readFileSync(join(store, "y.tar.gz"), "utf8"), "complete");
    assert.equal(readdirSync(store).filter((n) => n.startsWith("y")).length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("binary: storage retain keeps the newest N of one repository, refuses traversal keys", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rc-storage-cli-"));
  try {
    const names = [
      "api-full-20250101-000000.tar.gz",
      "api-full-20250101-000000.tar.gz.minisig",
      "api-full-20250102-000000.tar.gz",
      "api-gateway-full-20240101-000000.tar.gz",
    ];
    for (const n of names) writeFileSync(join(dir, n), n);
    const dry = await runBinary(["storage", "retain", dir, "--repo", "api", "--keep", "1", "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /would delete api-full-20250101-000000\.tar\.gz\n/);
    assert.deepEqual(readdirSync(dir).sort(), names);
    const real = await runBinary(["storage", "retain", dir, "--repo", "api", "--keep", "1"]);
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, /1 kept, 2 deleted in /);
    assert.deepEqual(readdirSync(dir).sort(), [
      "api-full-20250102-000000.tar.gz",
      "api-gateway-full-20240101-000000.tar.gz",
    ]);
    const bad = await runBinary(["storage", "retain", dir, "--repo", "api", "--keep", "0"]);
    assert.equal(bad.code, 2);
    const escape = await runBinary(["storage", "put", "-", "s3://rc-backups/a/../../x"], { input: "x" });
    assert.equal(escape.code, 1);
    assert.match(escape.stderr, /contains a "\.\." path segment/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
