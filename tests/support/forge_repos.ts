/**
 * Builds repository histories for tests directly in bare repositories with `git fast-import` (one
 * process per batch of commits, no HTTP, nothing in the forge's request log).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

const ENV = {
  ...process.env,
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
};
let clock = 1_700_000_000;

/** Runs git in a bare repository and returns trimmed stdout. */
export function gitIn(dir: string, args: string[], input?: string | Buffer): string {
  return execFileSync("git", ["-C", dir, ...args], { env: ENV, input, encoding: "utf8" }).trim();
}

/** The sha a ref points to, or undefined. */
export function tipOf(dir: string, ref: string): string | undefined {
  try {
    return gitIn(dir, ["rev-parse", "--verify", "-q", `${ref}^{commit}`]) || undefined;
  } catch {
    return undefined;
  }
}

/** Options of {@link addCommits}. */
export interface AddCommitsOptions {
  /** Parent commit (sha or ref). Default: the branch's current tip, or a root commit. */
  from?: string;
  /** Bytes of random content per commit (in `data/<n>.bin`). Default 0 (a small text file only). */
  blobBytes?: number;
  /** Text distinguishing these commits from others with the same parent. Default "c". */
  label?: string;
}

/** Appends `count` commits to `branch` (created if missing); returns the new tip. */
export function addCommits(
  dir: string,
  branch: string,
  count: number,
  options: AddCommitsOptions = {},
): string {
  const ref = `refs/heads/${branch}`;
  const from = options.from ? tipOf(dir, options.from) : tipOf(dir, ref);
  const parts: Buffer[] = [];
  const label = options.label ?? "c";
  for (let i = 0; i < count; i++) {
    const t = clock++;
    const msg = `${label} ${branch} ${i} ${t}\n`;
    parts.push(Buffer.from(
      `commit ${ref}\ncommitter Test <test@example.invalid> ${t} +0000\ndata ${
        Buffer.byteLength(msg)
      }\n${msg}` +
        (i === 0 && from ? `from ${from}\n` : "") +
        `M 644 inline ${label}-${branch.replace(/\//g, "_")}.txt\ndata ${Buffer.byteLength(msg)}\n${msg}`,
    ));
    if (options.blobBytes) {
      const blob = randomBytes(options.blobBytes);
      parts.push(Buffer.from(`M 644 inline data/${t}.bin\ndata ${blob.length}\n`), blob, Buffer.from("\n"));
    }
    parts.push(Buffer.from("\n"));
  }
  execFileSync("git", ["-C", dir, "fast-import", "--quiet", "--force"], {
    env: ENV,
    input: Buffer.concat(parts),
  });
  return tipOf(dir, ref)!;
}

/** Creates an annotated tag (peeled in `ls-remote`, as on real forges). */
export function addTag(dir: string, name: string, target: string): string {
  gitIn(dir, ["tag", "-a", "-m", `release ${name}`, name, target]);
  return gitIn(dir, ["rev-parse", `refs/tags/${name}`]);
}

/** Points any ref at a commit (e.g. `refs/merge-requests/1/head`). */
export function setRef(dir: string, ref: string, sha: string): void {
  gitIn(dir, ["update-ref", ref, sha]);
}

/** A small standard history: `main` with `commits` commits, extra branches off main, tags. */
export function seedHistory(
  dir: string,
  options: { commits?: number; branches?: string[]; tags?: string[]; blobBytes?: number } = {},
): { main: string } {
  const main = addCommits(dir, "main", options.commits ?? 3, { blobBytes: options.blobBytes });
  for (const b of options.branches ?? []) addCommits(dir, b, 1, { from: main });
  for (const t of options.tags ?? []) addTag(dir, t, main);
  return { main };
}
