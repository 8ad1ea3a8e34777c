/**
 * `archive verify` and `archive restore` (pushing to a file:// target) make no network call: both run
 * with the compiled binary inside a network namespace with no interfaces up (`unshare -n`, util-linux,
 * needs root or user namespaces). A control proves the namespace really has no network. Where
 * `unshare -n` is not permitted the test says so loudly and skips. Run `bash scripts/compile.sh` first.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { BINARY, cleanPath, runBinary, type RunResult, tempDir } from "./support/binary.ts";
import { forEachRef, writeRandomFile } from "./support/fixture_repo.ts";

const probe = spawnSync("unshare", ["-n", "true"], { encoding: "utf8" });
const UNSHARE_SKIP = probe.status === 0
  ? undefined
  : `unshare -n is not permitted here (${(probe.stderr || probe.error?.message || "").trim()}); ` +
    "run the tests as root on Linux to prove verify/restore stay offline";
if (UNSHARE_SKIP) console.warn(`\n!!! SKIPPING the network-namespace tests: ${UNSHARE_SKIP}\n`);

/** Runs the binary inside a fresh network namespace. */
function runOffline(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("unshare", ["-n", "--", BINARY, ...args], {
      env: { HOME: process.env.HOME ?? "/root", PATH: cleanPath(), NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code: code ?? 128,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }));
  });
}

function sh(cwd: string, script: string): string {
  const r = spawnSync("sh", ["-c", script], { cwd, encoding: "utf8" });
  assert.equal(r.status, 0, `${script}\n${r.stderr}`);
  return r.stdout;
}

Deno.test({
  name: "unshare -n: the namespace has no network (control: a loopback server outside is unreachable)",
  ignore: UNSHARE_SKIP !== undefined,
  fn: async () => {
    const server = createServer((s) => s.end("hello\n"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      // The connect completes in the kernel's backlog even while this process is blocked.
      const connect = `exec 3<>/dev/tcp/127.0.0.1/${port}`;
      const outside = spawnSync("bash", ["-c", connect], { encoding: "utf8" });
      assert.equal(outside.status, 0, `control connection failed outside: ${outside.stderr}`);
      const inside = spawnSync("unshare", ["-n", "bash", "-c", connect], { encoding: "utf8" });
      assert.notEqual(inside.status, 0, "a connection succeeded inside the namespace");
      assert.match(inside.stderr, /Network is unreachable|Connection refused|Cannot assign/);
    } finally {
      server.close();
    }
  },
});

Deno.test({
  name: "unshare -n: archive verify and archive restore --target file:// succeed with no network at all",
  ignore: UNSHARE_SKIP !== undefined,
  fn: async () => {
    const dir = tempDir("rc-netns-");
    sh(
      dir,
      "git init -q -b main app && cd app && git lfs install --local >/dev/null && git lfs track '*.bin' >/dev/null",
    );
    const app = join(dir, "app");
    writeRandomFile(join(app, "model.bin"), 200_000);
    sh(
      app,
      "echo hi > README.md && git add -A && git -c user.name=t -c user.email=t@e commit -qm one && " +
        "git tag -a v1 -m v1 && git checkout -qb develop && echo d >> README.md && " +
        "git -c user.name=t -c user.email=t@e commit -qam two && git checkout -q main",
    );
    const out = join(dir, "archives");
    // Created outside the namespace (create is the connected side of the gap).
    const made = await runBinary(["archive", "create", app, "-o", out, "--no-dependencies"]);
    assert.equal(made.code, 0, made.stderr);
    const archive = join(out, readdirSync(out).find((n) => n.endsWith(".tar.gz"))!);
    sh(dir, "git init -q --bare target.git");

    const v = await runOffline(["archive", "verify", archive]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /✓ Archive is valid/);

    const r = await runOffline([
      "archive",
      "restore",
      archive,
      "-o",
      join(dir, "restored"),
      "--target",
      `file://${join(dir, "target.git")}`,
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✓ Pushed to target/);
    assert.equal(await forEachRef(join(dir, "target.git")), await forEachRef(app));
    const oid = createHash("sha256").update(readFileSync(join(app, "model.bin"))).digest("hex");
    const stored = join(dir, "target.git", "lfs", "objects", oid.slice(0, 2), oid.slice(2, 4), oid);
    assert.deepEqual(readFileSync(stored), readFileSync(join(app, "model.bin")), "LFS object pushed");
    assert.deepEqual(
      readFileSync(join(dir, "restored", "app", "model.bin")),
      readFileSync(join(app, "model.bin")),
    );
  },
});
