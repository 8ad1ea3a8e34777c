import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { ArchiveError, VerificationError } from "../errors.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { git, GitError } from "../git/git.ts";
import { lfsCheckout, lfsInstallLocal } from "../git/lfs.ts";
import { diffRefs, listRefs } from "../git/refs.ts";
import { fsyncPath } from "../fs/atomic_write.ts";
import { lfsEntryPath, type Manifest } from "./manifest.ts";

/** The rebuilt repository. */
export interface RebuiltRepository {
  /** Final location, `<parent>/<name>`. */
  dir: string;
  branches: number;
  tags: number;
  lfsObjects: number;
}

/** Options of {@link rebuildRepository}. */
export interface RebuildOptions {
  /** Directory that receives `<manifest.repository.name>`. */
  parent: string;
  /** git-lfs is installed (required when the manifest lists LFS objects). */
  lfs: boolean;
  /** Remote `origin` to record in the restored repository (a URL without credentials). Default none. */
  origin?: string;
  logger?: ModuleLogger;
  signal?: AbortSignal;
}

/**
 * Rebuilds the repository from a verified staging directory: `git init` in a partial directory next
 * to the destination, fetch every branch and tag from `repo.bundle` as local refs (objects checked by
 * `transfer.fsckObjects`), compare the refs with the manifest, `git fsck`, move the LFS objects into
 * `.git/lfs/objects`, check out the default branch with LFS content from the local store only, then
 * move the result to `<parent>/<name>`. The destination must be absent or an empty directory.
 * @throws ArchiveError when the destination is taken; VerificationError when git disagrees with the
 *   manifest or fsck fails. The partial directory is removed on failure.
 */
export async function rebuildRepository(
  stagingDir: string,
  manifest: Manifest,
  options: RebuildOptions,
): Promise<RebuiltRepository> {
  const dest = join(options.parent, manifest.repository.name);
  assertFreeDestination(dest);
  const partial = mkdtempSync(join(options.parent, `.${manifest.repository.name}.restore-partial-`));
  const run = (args: string[], extra: { env?: Record<string, string> } = {}) =>
    git(args, { cwd: partial, logger: options.logger, signal: options.signal, ...extra });
  try {
    await run(["init", "--quiet"]);
    if (!manifest.bundle.empty) {
      await run([
        "fetch",
        "--quiet",
        "--update-head-ok",
        "--no-tags",
        join(stagingDir, "repo.bundle"),
        "+refs/heads/*:refs/heads/*",
        "+refs/tags/*:refs/tags/*",
      ]);
    }
    const refs = await listRefs(partial, { logger: options.logger });
    const diff = diffRefs(manifest.refs, refs);
    const bad = [...diff.onlyA, ...diff.onlyB, ...diff.changed];
    if (bad.length > 0) {
      throw new VerificationError(
        `Cannot restore: the refs in repo.bundle differ from the manifest (first: "${bad[0]}")`,
        { entry: "repo.bundle" },
      );
    }
    try {
      await run(["fsck", "--full", "--no-dangling", "--no-progress"]);
    } catch (e) {
      if (!(e instanceof GitError)) throw e;
      throw new VerificationError(
        `Cannot restore: git fsck found errors in the restored repository: ${e.stderr}`,
        {
          entry: "repo.bundle",
          cause: e,
        },
      );
    }
    const branch = manifest.source.default_branch;
    const headRef = branch !== null && `refs/heads/${branch}` in refs
      ? `refs/heads/${branch}`
      : Object.keys(refs).find((r) => r.startsWith("refs/heads/"));
    if (headRef) await run(["symbolic-ref", "HEAD", headRef]);

    const lfsDir = join(partial, ".git", "lfs", "objects");
    for (const o of manifest.lfs.objects) {
      const to = join(lfsDir, o.oid.slice(0, 2), o.oid.slice(2, 4), o.oid);
      mkdirSync(dirname(to), { recursive: true });
      renameSync(join(stagingDir, ...lfsEntryPath(o.oid).split("/")), to);
    }
    if (manifest.lfs.objects.length > 0) {
      if (!options.lfs) {
        throw new ArchiveError(
          "Cannot restore LFS files: git-lfs is not installed. Install git-lfs, or use restore-scripts/restore.sh",
        );
      }
      await lfsInstallLocal(partial, { logger: options.logger });
    }
    if (headRef) {
      // Check out pointers first, then LFS content from the local store only: never the network.
      const env: Record<string, string> = { GIT_LFS_SKIP_SMUDGE: "1" };
      // Without git-lfs, a global LFS filter config would fail the checkout: ignore it.
      if (!options.lfs) Object.assign(env, { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" });
      await run(["reset", "--quiet", "--hard"], { env });
      if (manifest.lfs.objects.length > 0) await lfsCheckout(partial, { logger: options.logger });
    }
    if (options.origin) await run(["remote", "add", "origin", options.origin]);
    assertFreeDestination(dest);
    if (existsSync(dest)) rmdirSync(dest);
    chmodSync(partial, 0o755);
    renameSync(partial, dest);
    fsyncPath(options.parent, { directory: true });
  } catch (e) {
    rmSync(partial, { recursive: true, force: true });
    throw e;
  }
  const names = Object.keys(manifest.refs);
  const branches = names.filter((n) => n.startsWith("refs/heads/")).length;
  return { dir: dest, branches, tags: names.length - branches, lfsObjects: manifest.lfs.objects.length };
}

/**
 * Throws unless `dest` is absent or an empty directory, so a restore never overwrites anything.
 * @throws ArchiveError.
 */
export function assertFreeDestination(dest: string): void {
  if (!existsSync(dest)) return;
  let empty = false;
  try {
    empty = readdirSync(dest).length === 0;
  } catch {
    empty = false;
  }
  if (!empty) {
    throw new ArchiveError(
      `Cannot restore into "${dest}": it already exists and is not empty. Nothing was changed; ` +
        "choose another --output or move it away",
    );
  }
}
