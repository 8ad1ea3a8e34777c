import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ArchiveError, AuthError, TransientError } from "../errors.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { git, type GitAuth, GitError } from "../git/git.ts";
import { lfsAvailable, lfsFetchAll, type LfsObject, listLfsObjects, tipsUseLfs } from "../git/lfs.ts";
import { lfsFetchPointers, lfsPointersIn } from "../git/lfs_pointers.ts";
import { existingObjects } from "../git/objects.ts";
import { listRefs } from "../git/refs.ts";
import type { RepositorySource } from "./source.ts";

/** A bare clone of the source holding its branches and tags, plus its LFS objects. */
export interface ClonedSource {
  /** The bare repository. */
  gitDir: string;
  /** refs/heads/* and refs/tags/*, refname -> object id. */
  refs: Record<string, string>;
  /** Branch the source's HEAD names, when that branch exists. */
  defaultBranch: string | null;
  /** Commit HEAD resolves to, or null for an empty repository. */
  head: string | null;
  branches: number;
  tags: number;
  /** LFS objects fetched (empty when the repository does not use LFS). */
  lfs: LfsObject[];
  /** Shallow clone: the boundary commits (`shallow` file), empty for a complete history. */
  shallowCommits: string[];
  /** Incremental: the base tips this clone has (only those can be excluded from the bundle). */
  knownBaseTips: string[];
}

/** Options of {@link cloneSource}. */
export interface CloneSourceOptions {
  /** Source credentials (environment only). */
  auth?: GitAuth;
  /** Fetch LFS objects when the repository uses LFS. Default true. */
  includeLfs?: boolean;
  logger?: ModuleLogger;
  signal?: AbortSignal;
  /** Clone only the last `depth` commits of every branch and tag (`--depth`). Default: everything. */
  depth?: number;
  /**
   * Incremental: the base archive's ref tips and the LFS objects the chain already carries. Only LFS
   * objects named by commits new since those tips, and not already carried, are fetched.
   */
  base?: { tips: string[]; lfsOids: ReadonlySet<string> };
}

/**
 * Clones `source` into `<workDir>/mirror.git` as a bare repository with every branch and tag (only
 * refs/heads/* and refs/tags/*: `refs/pull/*`, `refs/merge-requests/*` and the like are not carried,
 * nor their objects downloaded), then `git lfs fetch --all` when the tips' `.gitattributes` route
 * files through LFS.
 * @throws AuthError for a rejected token, TransientError for network faults, ArchiveError otherwise
 *   (including git-lfs missing for a repository that needs it).
 */
export async function cloneSource(
  source: RepositorySource,
  workDir: string,
  options: CloneSourceOptions = {},
): Promise<ClonedSource> {
  const gitDir = join(workDir, "mirror.git");
  const { logger, signal, auth } = options;
  try {
    if (options.depth === undefined) {
      await git(["clone", "--bare", "--quiet", "--", source.gitUrl, gitDir], { auth, logger, signal });
    } else {
      // git ignores --depth for a plain local path: give it a file:// URL.
      const url = source.local ? pathToFileURL(source.gitUrl).href : source.gitUrl;
      const depth = `--depth=${options.depth}`;
      await git(["clone", "--bare", "--quiet", depth, "--no-single-branch", "--", url, gitDir], {
        auth,
        logger,
        signal,
      });
      // Tags outside the branches' last commits are not followed by clone: fetch each at the same depth.
      await git(["fetch", "--quiet", depth, "origin", "+refs/tags/*:refs/tags/*"], {
        cwd: gitDir,
        auth,
        logger,
        signal,
      });
    }
  } catch (e) {
    throw explain(e, `clone "${source.recordedUrl}"`, "Check the URL and that the token may read it");
  }
  const refs = await listRefs(gitDir, { logger });
  const symbolic = await git(["symbolic-ref", "-q", "HEAD"], { cwd: gitDir, okCodes: [1], logger });
  const headRef = symbolic.stdout.trim();
  const defaultBranch = headRef.startsWith("refs/heads/") && headRef in refs
    ? headRef.slice("refs/heads/".length)
    : null;
  let head: string | null = null;
  if (defaultBranch !== null) {
    head = (await git(["rev-parse", "--verify", "HEAD^{commit}"], { cwd: gitDir, logger })).stdout.trim();
  }
  const names = Object.keys(refs);
  const branches = names.filter((n) => n.startsWith("refs/heads/")).length;
  const shallowCommits = readShallow(gitDir);
  const knownBaseTips = options.base ? [...await existingObjects(gitDir, options.base.tips, { logger })] : [];
  let lfs: LfsObject[] = [];
  if (options.base && (options.includeLfs ?? true)) {
    const found = await lfsPointersIn(gitDir, { tips: Object.values(refs), exclude: knownBaseTips }, {
      logger,
    });
    const wanted = found.filter((p) => !options.base!.lfsOids.has(p.oid));
    if (wanted.length > 0) {
      await requireLfs(source, logger);
      try {
        await lfsFetchPointers(gitDir, "origin", wanted, { auth, logger, signal });
      } catch (e) {
        throw explain(
          e,
          `fetch the LFS objects of "${source.recordedUrl}"`,
          "Check that the LFS server is reachable",
        );
      }
      const want = new Set(wanted.map((p) => p.oid));
      lfs = listLfsObjects(join(gitDir, "lfs", "objects")).filter((o) => want.has(o.oid));
      const missing = wanted.find((p) => !lfs.some((o) => o.oid === p.oid));
      if (missing) {
        throw new ArchiveError(
          `Cannot archive "${source.recordedUrl}": the LFS server did not send object ${missing.oid}. ` +
            "Check that the object was pushed to the source's LFS storage",
        );
      }
    }
  } else if (
    (options.includeLfs ?? true) && names.length > 0 &&
    await tipsUseLfs(gitDir, Object.values(refs), { logger })
  ) {
    await requireLfs(source, logger);
    try {
      await lfsFetchAll(gitDir, "origin", { auth, logger, signal });
    } catch (e) {
      throw explain(
        e,
        `fetch the LFS objects of "${source.recordedUrl}"`,
        "Check that the LFS server is reachable",
      );
    }
    lfs = listLfsObjects(join(gitDir, "lfs", "objects"));
  }
  return {
    gitDir,
    refs,
    defaultBranch,
    head,
    branches,
    tags: names.length - branches,
    lfs,
    shallowCommits,
    knownBaseTips,
  };
}

async function requireLfs(source: RepositorySource, logger?: ModuleLogger): Promise<void> {
  if (await lfsAvailable({ logger })) return;
  throw new ArchiveError(
    `Cannot archive "${source.recordedUrl}": the repository uses Git LFS (.gitattributes has filter=lfs) ` +
      "but git-lfs is not installed. Install git-lfs (apt-get install git-lfs), or pass --no-lfs to leave LFS objects out",
  );
}

/** The boundary commits of a shallow repository (its `shallow` file), sorted; empty when complete. */
function readShallow(gitDir: string): string[] {
  let text = "";
  try {
    text = readFileSync(join(gitDir, "shallow"), "utf8");
  } catch {
    return [];
  }
  return [...new Set(text.split("\n").filter((l) => /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(l)))].sort();
}

function explain(e: unknown, action: string, advice: string): unknown {
  if (e instanceof AuthError || e instanceof TransientError) return e;
  if (e instanceof GitError) {
    const last = e.stderr.split("\n").filter((l) => l.trim()).pop() ?? `git exited with ${e.code}`;
    return new ArchiveError(`Cannot ${action}: ${last}. ${advice}`, { cause: e });
  }
  return e;
}
