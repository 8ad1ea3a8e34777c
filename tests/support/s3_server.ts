/**
 * A real S3-protocol server for tests: `s3rver` (in this process) on 127.0.0.1 with an ephemeral port
 * and a temporary directory, plus an isolated AWS environment (no shared config, no instance metadata)
 * and a runner for the real AWS CLI as an independent client.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

/** The access key id s3rver knows (it accepts any secret: it does not check SigV4 signatures). */
export const S3_ACCESS_KEY_ID = "S3RVER";

/** A running s3rver. */
export interface S3TestServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** Where s3rver keeps buckets and objects. */
  dir: string;
  /**
   * An environment for SDK clients and child processes: credentials (secret = `secret`), region, and
   * AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE pointing at files that do not exist, instance metadata
   * off. No endpoint: add AWS_ENDPOINT_URL or pass `--endpoint` where a test wants it.
   */
  awsEnv(secret: string): Record<string, string>;
  close(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1 with the given buckets already created. */
export async function startS3Server(options: { buckets?: string[] } = {}): Promise<S3TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "rc-s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    directory: dir,
    silent: true,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name, configs: [] })),
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    port: address.port,
    dir,
    awsEnv: (secret: string) => ({
      AWS_ACCESS_KEY_ID: S3_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: secret,
      AWS_REGION: "us-east-1",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_CONFIG_FILE: join(dir, "no-aws-config"),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, "no-aws-credentials"),
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_PAGER: "",
    }),
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Path of the AWS CLI from the Debian `awscli` package when present, else `aws` on PATH. */
export function awsCliPath(): string {
  return existsSync("/usr/bin/aws") ? "/usr/bin/aws" : "aws";
}

/** Runs the real AWS CLI with exactly `env` (plus PATH/HOME) and collects its output as bytes. */
export function runAwsCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const home = mkdtempSync(join(tmpdir(), "rc-aws-home-"));
    const child = spawn(awsCliPath(), args, {
      env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: home, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => {
      rmSync(home, { recursive: true, force: true });
      resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") });
    });
  });
}
