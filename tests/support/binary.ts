import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";

/** Absolute path of the compiled binary under test. */
export const BINARY = resolve(import.meta.dirname ?? ".", "../../dist/repo-cloner");

/** The canary token every test that needs a token uses; it must never show up in any output. */
export const CANARY = "rc-canary-tok-7f3a9c1e5b";

let cleanPathCache: string | undefined;

/**
 * A PATH holding git, git-lfs, the shell tools, python3 and (when `withNode`) node/npm, but never
 * deno or bun — and without node unless asked — so end-to-end tests prove the binary is self-contained.
 */
export function cleanPath(options: { withNode?: boolean } = {}): string {
  const banned = new Set([
    "deno",
    "bun",
    "bunx",
    ...(options.withNode ? [] : ["node", "npm", "npx", "corepack"]),
  ]);
  const key = options.withNode ? "node" : "plain";
  if (!options.withNode && cleanPathCache) return cleanPathCache;
  const dir = mkdtempSync(join(tmpdir(), `rc-path-${key}-`));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const seen = new Set<string>();
  for (const p of (process.env.PATH ?? "").split(delimiter)) {
    if (!p || !existsSync(p) || p.includes(".tools")) continue;
    let names: string[] = [];
    try {
      names = readdirSync(p);
    } catch {
      continue;
    }
    for (const n of names) {
      if (seen.has(n) || banned.has(n)) continue;
      seen.add(n);
      try {
        symlinkSync(join(p, n), join(bin, n));
      } catch {
        // ignore
      }
    }
  }
  if (!options.withNode) cleanPathCache = bin;
  return bin;
}

/** Result of one binary run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the compiled binary with a clean PATH (no deno/bun/node) and the given env. */
export function runBinary(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; withNode?: boolean; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const env: Record<string, string> = {
      HOME: process.env.HOME ?? "/root",
      TMPDIR: process.env.TMPDIR ?? "/tmp",
      PATH: cleanPath({ withNode: options.withNode }),
      NO_COLOR: "1",
      ...(options.env ?? {}),
    };
    const child = spawn(BINARY, args, { cwd: options.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.on("error", reject);
    child.stdin.end(options.input ?? "");
    child.on("close", (code, signal) =>
      resolvePromise({
        code: code ?? (signal === "SIGKILL" ? 137 : 128),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }));
  });
}

/** A fresh temporary directory for one test. */
export function tempDir(prefix = "rc-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
