import { createHash } from "node:crypto";
import { closeSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { RepoClonerError } from "../errors.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { redactor } from "../log/redact.ts";
import { classifyGitFailure, killTree, spawnGit } from "./git.ts";
import { parseRefLines } from "./refs.ts";

/** What {@link createBundle} wrote. */
export interface BundleResult {
  sha256: string;
  size: number;
  /** Refs in the bundle header, refname -> object id (includes `HEAD` when it was bundled). */
  refs: Record<string, string>;
  /** Prerequisite object ids (`-<id>` header lines): commits the bundle needs but lacks. */
  prerequisites: string[];
  /** True when there was nothing to bundle and a zero-byte file was written. */
  empty: boolean;
}

/** Options of {@link createBundle}. */
export interface CreateBundleOptions {
  /** Also bundle `HEAD` (so `git clone repo.bundle` checks out the default branch). Default true. */
  includeHead?: boolean;
  /** Object ids the receiver already has (`^<id>` on stdin): for incremental bundles. Default none. */
  exclude?: string[];
  /**
   * Bundle exactly these refs (full names, on stdin) instead of `HEAD --branches --tags`; `includeHead`
   * is then ignored. git leaves out a ref whose object is excluded. An empty list gives an empty bundle.
   */
  refs?: string[];
  logger?: ModuleLogger;
  signal?: AbortSignal;
}

const EMPTY_SHA256 = createHash("sha256").digest("hex");

/**
 * Writes a git bundle of every branch and tag of the repository at `gitDir` to `file`, hashing the
 * bytes as git produces them (`git bundle create -`), so the bundle is read from git exactly once.
 * The file is not fsynced: it is a scratch file, and what is made of it (the archive) is synced
 * itself. An empty repository (no branch or tag) gives a zero-byte file and `empty`.
 * @throws RepoClonerError/GitError when git fails; the partial file is left for the caller to remove.
 */
export async function createBundle(
  gitDir: string,
  file: string,
  options: CreateBundleOptions = {},
): Promise<BundleResult> {
  const args = ["bundle", "create", "--quiet", "-"];
  if (options.refs === undefined) {
    if (options.includeHead ?? true) args.push("HEAD");
    args.push("--branches", "--tags");
  }
  args.push("--stdin");
  const input = [...(options.refs ?? []), ...(options.exclude ?? []).map((id) => `^${id}`)]
    .map((line) => line + "\n").join("");
  if (options.refs?.length === 0) {
    closeSync(openSync(file, "w", 0o644));
    return { sha256: EMPTY_SHA256, size: 0, refs: {}, prerequisites: [], empty: true };
  }
  const child = spawnGit(args, { cwd: gitDir, logger: options.logger, input });
  child.stdin?.on("error", () => {});
  child.stdin?.end(input);
  const fd = openSync(file, "w", 0o644);
  const hash = createHash("sha256");
  let size = 0;
  let header: Buffer | null = Buffer.alloc(0);
  let headerText = "";
  const stderr: Buffer[] = [];
  const onAbort = () => killTree(child);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const exit = await new Promise<number>((resolve, reject) => {
      child.stderr?.on("data", (d: Buffer) => {
        if (stderr.length < 256) stderr.push(d);
      });
      child.stdout?.on("data", (chunk: Buffer) => {
        try {
          writeAll(fd, chunk);
        } catch (e) {
          killTree(child);
          reject(e);
          return;
        }
        hash.update(chunk);
        size += chunk.length;
        if (header !== null) {
          header = Buffer.concat([header, chunk]);
          const end = header.indexOf("\n\n");
          if (end >= 0) {
            headerText = header.subarray(0, end).toString("utf8");
            header = null;
          }
        }
      });
      child.on(
        "error",
        (e) =>
          reject(
            new RepoClonerError(`Cannot run git: ${e.message}. Install git and put it on PATH`, { cause: e }),
          ),
      );
      child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
    if (options.signal?.aborted) throw new RepoClonerError("Cannot create bundle: aborted");
    const err = Buffer.concat(stderr).toString("utf8");
    if (exit !== 0) {
      if (/Refusing to create empty bundle/i.test(err)) {
        ftruncateSync(fd, 0); // git may have written a header before refusing
        return { sha256: EMPTY_SHA256, size: 0, refs: {}, prerequisites: [], empty: true };
      }
      throw classifyGitFailure(`git bundle create ${redactor.redact(gitDir)}`, exit, err);
    }
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    closeSync(fd);
  }
  const prerequisites = [...headerText.matchAll(/^-([0-9a-f]{40}(?:[0-9a-f]{24})?)/gm)].map((m) => m[1]);
  return { sha256: hash.digest("hex"), size, refs: parseRefLines(headerText), prerequisites, empty: false };
}

function writeAll(fd: number, chunk: Buffer): void {
  let off = 0;
  while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
}
