/**
 * End-to-end with the compiled binary against s3rver and the real AWS CLI: `archive create --storage
 * s3` (signed, full then incremental with `--base s3://…`), then `archive verify` and `archive restore`
 * straight from `s3://` URLs — archives streamed to disk beside the output, `.minisig` fetched beside.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createStorage } from "../src/storage/mod.ts";
import { CANARY, runBinary, type RunResult, tempDir } from "./support/binary.ts";
import { forEachRef } from "./support/fixture_repo.ts";
import { addCommits, seedHistory } from "./support/forge_repos.ts";
import { canaryForms } from "./support/canary.ts";
import { runAwsCli, S3_ACCESS_KEY_ID, startS3Server } from "./support/s3_server.ts";

const BUCKET = "rc-airgap";
const testOpts = { sanitizeOps: false, sanitizeResources: false };

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  for (const form of canaryForms()) {
    assert.ok(!r.stdout.includes(form) && !r.stderr.includes(form), `the AWS secret leaked in ${what}`);
  }
  return r;
}

Deno.test(
  "binary: archive create --storage s3, verify and restore straight from s3:// (signed, full + incremental)",
  testOpts,
  async (t) => {
    const server = await startS3Server({ buckets: [BUCKET] });
    const dir = tempDir("rc-s3-e2e-");
    try {
      const src = join(dir, "inventory.git");
      execFileSync("git", ["init", "-q", "--bare", "-b", "main", src]);
      seedHistory(src, { commits: 3, branches: ["dev"], tags: ["v1.0"] });
      const home = join(dir, "home");
      const log = join(dir, "run.log");
      const env = {
        ...server.awsEnv(CANARY),
        AWS_ENDPOINT_URL_S3: server.endpoint,
        HOME: home,
        XDG_STATE_HOME: join(home, "state"),
      };
      const bin = (args: string[]) => runBinary(["--log-file", log, ...args], { env });
      const pub = join(dir, "k.pub");
      const sec = join(dir, "k.key");
      ok(await bin(["key", "generate", "--unencrypted", "-p", pub, "-s", sec]), "key generate");
      const bucket = createStorage({
        type: "s3",
        bucket: BUCKET,
        prefix: "airgap",
        endpoint: server.endpoint,
      }, {
        env: {},
        credentials: { accessKeyId: S3_ACCESS_KEY_ID, secretAccessKey: "x" },
      });
      let full = "";
      let fullJson: { sha256: string; archive_id: string; archive: string; name: string };

      await t.step(
        "create --storage s3 uploads the archive and its signature; the AWS CLI reads the same sha256",
        async () => {
          const r = ok(
            await bin([
              "--json",
              "archive",
              "create",
              src,
              "--output",
              join(dir, "out1"),
              "--storage",
              "s3",
              "--storage-path",
              `s3://${BUCKET}/airgap`,
              "--no-dependencies",
              "--sign",
              sec,
            ]),
            "create full",
          );
          fullJson = JSON.parse(r.stdout);
          full = fullJson.archive;
          assert.match(full, /^s3:\/\/rc-airgap\/airgap\/inventory-full-\d{8}-\d{6}\.tar\.gz$/);
          const keys = (await bucket.list()).map((o) => o.key);
          assert.deepEqual(keys, [fullJson.name, `${fullJson.name}.minisig`]);
          const file = join(dir, "aws-copy.tar.gz");
          const got = await runAwsCli([
            "--endpoint-url",
            server.endpoint,
            "s3api",
            "get-object",
            "--bucket",
            BUCKET,
            "--key",
            `airgap/${fullJson.name}`,
            file,
          ], server.awsEnv(CANARY));
          assert.equal(got.code, 0, got.stderr);
          const digest = createHash("sha256").update(readFileSync(file)).digest("hex");
          assert.equal(JSON.parse(got.stdout.toString()).Metadata.sha256, digest);
          assert.equal(digest, fullJson.sha256, "the archive create reported is the archive stored");
        },
      );

      await t.step(
        "verify s3://… streams it down with its .minisig and checks signature and content",
        async () => {
          const r = ok(await bin(["archive", "verify", full, "--trusted-key", pub]), "verify");
          assert.match(
            r.stdout,
            /📥 Downloading s3:\/\/rc-airgap\/airgap\/inventory-full-\d{8}-\d{6}\.tar\.gz\.\.\.\n/,
          );
          assert.match(r.stdout, /sha256 matches the recorded metadata/);
          assert.match(r.stdout, /📥 Downloading s3:\/\/[^\n]*\.tar\.gz\.minisig\.\.\./);
          assert.match(r.stdout, /✓ Archive is valid\n {6}Signature: ✓/);
          const json = JSON.parse(
            ok(await bin(["--json", "archive", "verify", full]), "verify --json").stdout,
          );
          assert.equal(json.archive, full);
          assert.equal(json.archive_id, fullJson.archive_id);
        },
      );

      let inc = "";
      await t.step("create --base s3://… makes an incremental against the stored archive", async () => {
        addCommits(src, "main", 2);
        const r = ok(
          await bin([
            "--json",
            "archive",
            "create",
            src,
            "--base",
            full,
            "--output",
            join(dir, "out2"),
            "--storage-path",
            `s3://${BUCKET}/airgap`,
            "--no-dependencies",
            "--sign",
            sec,
          ]),
          "create incremental",
        );
        const json = JSON.parse(r.stdout);
        inc = json.archive;
        assert.equal(json.type, "incremental");
        assert.equal(json.base.archive_id, fullJson.archive_id);
        assert.match(inc, /^s3:\/\/rc-airgap\/airgap\/inventory-incremental-/);
        ok(await bin(["archive", "verify", full, inc, "--trusted-key", pub]), "verify chain");
      });

      await t.step(
        "restore FULL INC from s3:// rebuilds every branch and tag, leaving no download behind",
        async () => {
          const restored = join(dir, "restored");
          const r = ok(
            await bin([
              "archive",
              "restore",
              full,
              inc,
              "--output",
              restored,
              "--trusted-key",
              pub,
              "--no-install-dependencies",
            ]),
            "restore",
          );
          assert.match(r.stdout, /📥 Downloading s3:\/\/rc-airgap\/airgap\/inventory-incremental-/);
          assert.equal(await forEachRef(join(restored, "inventory")), await forEachRef(src));
          assert.deepEqual(readdirSync(restored), ["inventory"], "the temporary download directory is gone");
        },
      );

      await t.step(
        "a tampered object fails verification (exit 3); a missing one is named (exit 1)",
        async () => {
          const good = readFileSync(join(dir, "aws-copy.tar.gz"));
          const bad = Buffer.from(good);
          bad[Math.floor(bad.length / 2)] ^= 0xff;
          const key = "inventory-full-20200101-000000.tar.gz";
          await bucket.put(key, Readable.from([bad]), {
            sha256: createHash("sha256").update(bad).digest("hex"),
            size: bad.length,
          });
          const r = await bin(["archive", "verify", `s3://${BUCKET}/airgap/${key}`]);
          assert.equal(r.code, 3, r.stdout + r.stderr);
          assert.match(r.stdout, /✗ Archive is NOT valid/);
          const gone = await bin([
            "archive",
            "verify",
            `s3://${BUCKET}/airgap/nothing-full-20200101-000000.tar.gz`,
          ]);
          assert.equal(gone.code, 1, gone.stderr);
          assert.match(
            gone.stderr,
            /Cannot read "s3:\/\/rc-airgap\/airgap\/nothing-full-20200101-000000\.tar\.gz": no such object/,
          );
          const restoreGone = await bin([
            "archive",
            "restore",
            `s3://${BUCKET}/airgap/x-full-20200101-000000.tar.gz`,
            "--output",
            join(dir, "r2"),
          ]);
          assert.equal(restoreGone.code, 1, restoreGone.stderr);
          assert.ok(
            !existsSync(join(dir, "r2")) || readdirSync(join(dir, "r2")).length === 0,
            "nothing left behind",
          );
        },
      );
      const text = readFileSync(log, "utf8");
      for (const form of canaryForms()) assert.ok(!text.includes(form), "the AWS secret leaked in the log");
      writeFileSync(join(dir, "done"), "");
    } finally {
      await server.close();
    }
  },
);
