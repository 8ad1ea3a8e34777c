import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { AuthError, RepoClonerError } from "../errors.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { git, type GitAuth, GitError } from "./git.ts";

/** Config every git-lfs call gets: no lock API round trips (servers without it answer 404). */
const LFS_CONFIG: ReadonlyArray<readonly [string, string]> = [["lfs.locksverify", "false"]];

/** One object in a local LFS store. */
export interface LfsObject {
  /** sha256 of the content, 64 lowercase hex digits. */
  oid: string;
  size: number;
  /** Absolute path of the object file. */
  file: string;
}

/** Options of the LFS helpers. */
export interface LfsOptions {
  auth?: GitAuth;
  logger?: ModuleLogger;
  signal?: AbortSignal;
}

/** True when `git lfs` runs. */
export async function lfsAvailable(options: LfsOptions = {}): Promise<boolean> {
  try {
    await git(["lfs", "version"], { logger: options.logger });
    return true;
  } catch {
    return false;
  }
}

/**
 * True when the `.gitattributes` at the top of any of the given commits (or tags) routes files
 * through the LFS filter. Works without git-lfs installed, so a missing git-lfs can be named.
 */
export async function tipsUseLfs(gitDir: string, tips: string[], options: LfsOptions = {}): Promise<boolean> {
  const unique = [...new Set(tips)];
  if (unique.length === 0) return false;
  const r = await git(["cat-file", "--batch"], {
    cwd: gitDir,
    input: unique.map((t) => `${t}:.gitattributes\n`).join(""),
    logger: options.logger,
  });
  return /^[^#\n]*\sfilter=lfs(\s|$)/m.test(r.stdout);
}

/**
 * `git lfs fetch --all <remote>` in `gitDir`: every LFS object reachable from any local ref.
 * @throws AuthError when the LFS server rejects the token; RepoClonerError naming the cause otherwise.
 */
export async function lfsFetchAll(gitDir: string, remote: string, options: LfsOptions = {}): Promise<void> {
  await runLfs(["lfs", "fetch", "--all", remote], gitDir, "fetch LFS objects from the source", options);
}

/**
 * `git lfs fetch <remote> <ref>` in `gitDir`: the LFS objects of the tree at one commit (not its
 * history). See `lfsFetchPointers` for fetching a chosen set of objects this way.
 */
export async function lfsFetchRef(
  gitDir: string,
  remote: string,
  ref: string,
  options: LfsOptions = {},
): Promise<void> {
  await runLfs(["lfs", "fetch", remote, ref], gitDir, "fetch LFS objects from the source", options);
}

/**
 * `git lfs push --all <url>` from the repository at `repoDir`: uploads every local LFS object
 * reachable from any ref. Credentials travel only in the environment (see git.ts).
 */
export async function lfsPushAll(repoDir: string, url: string, options: LfsOptions = {}): Promise<void> {
  await runLfs(["lfs", "push", "--all", url], repoDir, "push LFS objects to the target", options);
}

/**
 * Writes the LFS filter settings into the repository's own config and installs the standard LFS
 * hooks in `<repoDir>/.git/hooks` (so later pushes by the user upload LFS objects). No secrets.
 */
export async function lfsInstallLocal(repoDir: string, options: LfsOptions = {}): Promise<void> {
  await runLfs(["lfs", "install", "--local"], repoDir, "configure Git LFS", options, [
    ["core.hooksPath", join(repoDir, ".git", "hooks")],
  ]);
}

/** Replaces LFS pointer files in the working tree with their content, from the local store only. */
export async function lfsCheckout(repoDir: string, options: LfsOptions = {}): Promise<void> {
  await runLfs(["lfs", "checkout"], repoDir, "check out LFS files", options);
}

/** The objects in a local LFS store `<dir>/<oid[0:2]>/<oid[2:4]>/<oid>`, sorted by oid. */
export function listLfsObjects(storeDir: string): LfsObject[] {
  const out: LfsObject[] = [];
  for (const a of readdirIfDir(storeDir)) {
    if (!/^[0-9a-f]{2}$/.test(a)) continue;
    for (const b of readdirIfDir(join(storeDir, a))) {
      if (!/^[0-9a-f]{2}$/.test(b)) continue;
      for (const oid of readdirIfDir(join(storeDir, a, b))) {
        if (!/^[0-9a-f]{64}$/.test(oid) || !oid.startsWith(a + b)) continue;
        const file = join(storeDir, a, b, oid);
        const st = statSync(file);
        if (st.isFile()) out.push({ oid, size: st.size, file });
      }
    }
  }
  return out.sort((x, y) => (x.oid < y.oid ? -1 : x.oid > y.oid ? 1 : 0));
}

function readdirIfDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") {
      return [];
    }
    throw e;
  }
}

const LFS_AUTH = /Authentication required|Authorization error|\b40[13]\b/i;

async function runLfs(
  args: string[],
  cwd: string,
  action: string,
  options: LfsOptions,
  extraConfig: ReadonlyArray<readonly [string, string]> = [],
): Promise<void> {
  try {
    await git(args, {
      cwd,
      auth: options.auth,
      logger: options.logger,
      signal: options.signal,
      config: [...LFS_CONFIG, ...extraConfig],
    });
  } catch (e) {
    if (e instanceof GitError && /not a git command|'lfs' is not/.test(e.stderr)) {
      throw new RepoClonerError(
        `Cannot ${action}: git-lfs is not installed. Install git-lfs (apt-get install git-lfs)`,
        {
          cause: e,
        },
      );
    }
    if (e instanceof GitError && LFS_AUTH.test(e.stderr)) {
      throw new AuthError(
        `Cannot ${action}: the LFS server rejected the token (${e.stderr.split("\n")[0]}). ` +
          "Check that the token is valid and has repository read/write scope",
        { cause: e },
      );
    }
    if (e instanceof RepoClonerError && !(e instanceof GitError)) throw e;
    const detail = e instanceof GitError ? e.stderr.split("\n").slice(0, 3).join("; ") : String(e);
    throw new RepoClonerError(`Cannot ${action}: ${detail}`, { cause: e });
  }
}
