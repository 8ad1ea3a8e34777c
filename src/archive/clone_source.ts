import { join } from "node:path";
import { ArchiveError, AuthError, TransientError } from "../errors.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { git, type GitAuth, GitError } from "../git/git.ts";
import { lfsAvailable, lfsFetchAll, type LfsObject, listLfsObjects, tipsUseLfs } from "../git/lfs.ts";
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
}

/** Options of {@link cloneSource}. */
export interface CloneSourceOptions {
  /** Source credentials (environment only). */
  auth?: GitAuth;
  /** Fetch LFS objects when the repository uses LFS. Default true. */
  includeLfs?: boolean;
  logger?: ModuleLogger;
  signal?: AbortSignal;
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
    await git(["clone", "--bare", "--quiet", "--", source.gitUrl, gitDir], { auth, logger, signal });
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
  let lfs: LfsObject[] = [];
  if (
    (options.includeLfs ?? true) && names.length > 0 &&
    await tipsUseLfs(gitDir, Object.values(refs), { logger })
  ) {
    if (!await lfsAvailable({ logger })) {
      throw new ArchiveError(
        `Cannot archive "${source.recordedUrl}": the repository uses Git LFS (.gitattributes has filter=lfs) ` +
          "but git-lfs is not installed. Install git-lfs (apt-get install git-lfs), or pass --no-lfs to leave LFS objects out",
      );
    }
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
  return { gitDir, refs, defaultBranch, head, branches, tags: names.length - branches, lfs };
}

function explain(e: unknown, action: string, advice: string): unknown {
  if (e instanceof AuthError || e instanceof TransientError) return e;
  if (e instanceof GitError) {
    const last = e.stderr.split("\n").filter((l) => l.trim()).pop() ?? `git exited with ${e.code}`;
    return new ArchiveError(`Cannot ${action}: ${last}. ${advice}`, { cause: e });
  }
  return e;
}
