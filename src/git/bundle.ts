import { closeSync, fstatSync, ftruncateSync, openSync, readSync } from "node:fs";
import { RepoClonerError } from "../errors.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { redactor } from "../log/redact.ts";
import { killTree } from "../children.ts";
import { classifyGitFailure, spawnGit } from "./git.ts";
import { parseRefLines } from "./refs.ts";

/** What {@link createBundle} wrote. */
export interface BundleFile {
  size: number;
  /** Refs in the bundle header, refname -> object id (includes `HEAD` when it was bundled). */
  refs: Record<string, string>;
  /** Prerequisite object ids (`-<id>` header lines): commits the bundle needs but lacks. */
  prerequisites: string[];
  /** True when there was nothing to bundle and a zero-byte file was written. */
  empty: boolean;
}

/** A bundle file and the sha256 of its bytes (hashed by whoever read them next: see `precompressEntry`). */
export interface BundleResult extends BundleFile {
  sha256: string;
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

/** Largest bundle header read back (one line per ref: a million refs fit). */
const MAX_HEADER = 256 * 1024 * 1024;

/**
 * Writes a git bundle of every branch and tag of the repository at `gitDir` to `file`: git writes
 * the file itself (`git bundle create -` with the file as its stdout), so the bytes never pass through
 * this process; its header (refs, prerequisites) is read back. The file is not hashed here — the next
 * reader does that as it reads (`precompressEntry`) — nor fsynced: it is a scratch file, and what is
 * made of it (the archive) is synced itself. An empty repository (no branch or tag) gives a zero-byte
 * file and `empty`.
 * @throws RepoClonerError/GitError when git fails; the partial file is left for the caller to remove.
 */
export async function createBundle(
  gitDir: string,
  file: string,
  options: CreateBundleOptions = {},
): Promise<BundleFile> {
  const args = ["bundle", "create", "--quiet", "-"];
  if (options.refs === undefined) {
    if (options.includeHead ?? true) args.push("HEAD");
    args.push("--branches", "--tags");
  }
  args.push("--stdin");
  const input = [...(options.refs ?? []), ...(options.exclude ?? []).map((id) => `^${id}`)]
    .map((line) => line + "\n").join("");
  const fd = openSync(file, "w+", 0o644);
  try {
    if (options.refs?.length === 0) return { size: 0, refs: {}, prerequisites: [], empty: true };
    const child = spawnGit(args, { cwd: gitDir, logger: options.logger, input, stdoutFd: fd });
    child.stdin?.on("error", () => {});
    child.stdin?.end(input);
    const stderr: Buffer[] = [];
    const onAbort = () => killTree(child);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    let exit: number;
    try {
      exit = await new Promise<number>((resolve, reject) => {
        child.stderr?.on("data", (d: Buffer) => {
          if (stderr.length < 256) stderr.push(d);
        });
        child.on("error", (e) =>
          reject(
            new RepoClonerError(`Cannot run git: ${e.message}. Install git and put it on PATH`, { cause: e }),
          ));
        child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
      });
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
    if (options.signal?.aborted) throw new RepoClonerError("Cannot create bundle: aborted");
    const err = Buffer.concat(stderr).toString("utf8");
    if (exit !== 0) {
      if (/Refusing to create empty bundle/i.test(err)) {
        ftruncateSync(fd, 0); // git may have written a header before refusing
        return { size: 0, refs: {}, prerequisites: [], empty: true };
      }
      throw classifyGitFailure(`git bundle create ${redactor.redact(gitDir)}`, exit, err);
    }
    const headerText = readHeader(fd, file);
    const prerequisites = [...headerText.matchAll(/^-([0-9a-f]{40}(?:[0-9a-f]{24})?)/gm)].map((m) => m[1]);
    return { size: fstatSync(fd).size, refs: parseRefLines(headerText), prerequisites, empty: false };
  } finally {
    closeSync(fd);
  }
}

/** The bundle header: everything before the first empty line. */
function readHeader(fd: number, file: string): string {
  const parts: Buffer[] = [];
  let at = 0;
  let tail = Buffer.alloc(0);
  while (at < MAX_HEADER) {
    const chunk = Buffer.alloc(64 * 1024);
    const n = readSync(fd, chunk, 0, chunk.length, at);
    if (n === 0) break;
    const view = Buffer.concat([tail, chunk.subarray(0, n)]);
    const end = view.indexOf("\n\n");
    if (end >= 0) {
      parts.push(view.subarray(0, end));
      return Buffer.concat(parts).toString("utf8");
    }
    parts.push(view.subarray(0, view.length - 1));
    tail = view.subarray(view.length - 1);
    at += n;
  }
  throw new RepoClonerError(`Cannot read the bundle git wrote to "${file}": no end of its header`);
}
