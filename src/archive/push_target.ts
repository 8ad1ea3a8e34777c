import { pathToFileURL } from "node:url";
import { ArchiveError, AuthError, RepoClonerError, TransientError } from "../errors.ts";
import type { GitAuth } from "../git/git.ts";
import { lfsPushAll } from "../git/lfs.ts";
import { pushBranchesAndTags } from "../git/push.ts";
import { diffRefs, listRefs, lsRemote } from "../git/refs.ts";
import type { ModuleLogger } from "../log/logger.ts";
import type { RepositoryTarget } from "./source.ts";

/** What {@link pushToTarget} did. */
export interface PushSummary {
  target: string;
  /** Branches and tags the target now shows as pushed. */
  refs: number;
  /** Refs the push created or moved (0 when the target was already up to date). */
  updated: number;
  /** Refs overwritten because the target still held an earlier value from the archive chain. */
  forced: string[];
  /** Refs the chain deleted that the target still has (deleted only with `prune`). */
  keptDeleted: string[];
  lfsObjects: number;
}

/** Options of {@link pushToTarget}. */
export interface PushToTargetOptions {
  auth?: GitAuth;
  prune?: boolean;
  /** Number of LFS objects in the repository; 0 skips `git lfs push`. */
  lfsObjects: number;
  /**
   * Earlier values of each ref along the archive chain (or in the repository an incremental was
   * applied to). A target ref that still holds one of them is moved with `--force-with-lease` (a moved
   * tag, a rewritten branch); any other value on the target is a conflict and is never overwritten.
   */
  history?: Record<string, string[]>;
  /** Refs the chain deleted since its start: reported when the target still has them. */
  deleted?: string[];
  /** The repository is shallow (explains a server's refusal). */
  shallow?: { depth: number };
  logger?: ModuleLogger;
  signal?: AbortSignal;
}

/**
 * Pushes the restored repository `repoDir` to `target`: LFS objects first (so no ref on the target
 * ever points at content the target lacks), then every branch and tag without force, then checks
 * with `ls-remote` that the target shows each ref. Errors say that the local repository is restored.
 * @throws AuthError (exit 5), TransientError, ArchiveError (rejected or unconfirmed push, exit 1).
 */
export async function pushToTarget(
  repoDir: string,
  target: RepositoryTarget,
  options: PushToTargetOptions,
): Promise<PushSummary> {
  const { auth, logger, signal } = options;
  try {
    if (options.lfsObjects > 0) {
      // git-lfs pushes to a local repository only through a file:// URL (a bare path ends in "EOF").
      const lfsUrl = target.local ? pathToFileURL(target.gitUrl).href : target.gitUrl;
      await lfsPushAll(repoDir, lfsUrl, { auth, logger, signal });
    }
    const local = await listRefs(repoDir, { logger });
    const before = await lsRemote(target.gitUrl, { auth, logger });
    const forced = Object.entries(local).filter(([ref, oid]) =>
      before[ref] !== undefined && before[ref] !== oid && (options.history?.[ref] ?? []).includes(before[ref])
    ).map(([ref]) => ({ ref, expect: before[ref] }));
    const pushed = await pushBranchesAndTags(repoDir, target.gitUrl, {
      auth,
      prune: options.prune,
      forced,
      logger,
      signal,
    });
    const remote = await lsRemote(target.gitUrl, { auth, logger });
    const diff = diffRefs(local, remote);
    const missing = [...diff.onlyA, ...diff.changed];
    if (missing.length > 0) {
      throw new ArchiveError(
        `Cannot confirm the push to "${target.displayUrl}": the target does not show "${
          missing[0]
        }" as pushed. ` +
          "Check the target's branch protection and hooks",
      );
    }
    return {
      target: target.displayUrl,
      refs: Object.keys(local).length,
      updated: pushed.filter((r) => r.flag !== "=").length,
      lfsObjects: options.lfsObjects,
      forced: forced.map((f) => f.ref),
      keptDeleted: (options.deleted ?? []).filter((ref) => remote[ref] !== undefined),
    };
  } catch (e) {
    if (!(e instanceof RepoClonerError)) throw e;
    if (options.shallow && /shallow update not allowed|shallow/i.test(e.message)) {
      throw new ArchiveError(
        `Cannot push to "${target.displayUrl}": the target requires full history, and this is a shallow ` +
          `restore (the archive carries only the last ${options.shallow.depth} commits of each branch and tag). ` +
          `The repository itself is restored at "${repoDir}". Push it to a server that accepts shallow ` +
          "updates (git: receive.shallowUpdate=true), or create a full archive without --depth",
        { cause: e },
      );
    }
    const note =
      ` The repository itself is restored at "${repoDir}"; push it again once the target accepts it.`;
    if (e instanceof AuthError) throw new AuthError(e.message + note, { cause: e });
    if (e instanceof TransientError) throw new TransientError(e.message + note, { cause: e });
    throw new ArchiveError(e.message + note, { cause: e });
  }
}
