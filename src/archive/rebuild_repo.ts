import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { ArchiveError, VerificationError } from "../errors.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { git, GitError } from "../git/git.ts";
import { diffRefs, listRefs } from "../git/refs.ts";
import { fsyncPath } from "../fs/atomic_write.ts";
import { writeRestoreMarker } from "./restore_marker.ts";
import { applyIncremental, checkOutHead, moveLfsObjects, type RestoreLayer } from "./apply_layer.ts";
import type { Manifest } from "./manifest.ts";

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
 * Rebuilds the repository from verified staging directories — a full archive, then the incrementals
 * of its chain in order: `git init` in a partial directory next to the destination (with
 * `.git/shallow` first for a shallow archive), fetch every branch and tag from the full archive's
 * `repo.bundle` as local refs (objects checked by `transfer.fsckObjects`), compare the refs with the
 * manifest, apply each incremental (`applyIncremental`), `git fsck`, move the LFS objects into
 * `.git/lfs/objects`, check out the default branch with LFS content from the local store only, then
 * move the result to `<parent>/<name>`. The destination must be absent or an empty directory.
 * @throws ArchiveError when the destination is taken; VerificationError when git disagrees with a
 *   manifest or fsck fails. The partial directory is removed on failure.
 */
export async function rebuildRepository(
  layers: RestoreLayer[],
  options: RebuildOptions,
): Promise<RebuiltRepository> {
  const [first, ...rest] = layers;
  const manifest = first.manifest;
  const last = layers[layers.length - 1].manifest;
  const dest = join(options.parent, manifest.repository.name);
  assertFreeDestination(dest);
  const partial = mkdtempSync(join(options.parent, `.${manifest.repository.name}.restore-partial-`));
  const run = (args: string[]) => git(args, { cwd: partial, logger: options.logger, signal: options.signal });
  try {
    await run(["init", "--quiet"]);
    if (manifest.shallow && manifest.shallow.commits.length > 0) {
      // The bundle's oldest commits name parents it lacks: tell git where the history was cut.
      writeFileSync(join(partial, ".git", "shallow"), manifest.shallow.commits.join("\n") + "\n");
    }
    if (!manifest.bundle.empty) {
      await run([
        "fetch",
        "--quiet",
        "--update-head-ok",
        "--no-tags",
        join(first.stagingDir, "repo.bundle"),
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
    const lfsDir = join(partial, ".git", "lfs", "objects");
    moveLfsObjects(first, lfsDir);
    for (const layer of rest) await applyIncremental(partial, layer, options);
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
    const lfsObjects = last.lfs.objects.length + last.lfs.inherited.length;
    await checkOutHead(partial, last, { ...options, lfsObjects });
    if (options.origin) await run(["remote", "add", "origin", options.origin]);
    assertFreeDestination(dest);
    if (existsSync(dest)) rmdirSync(dest);
    chmodSync(partial, 0o755);
    writeRestoreMarker(partial, last);
    renameSync(partial, dest);
    fsyncPath(options.parent, { directory: true });
  } catch (e) {
    rmSync(partial, { recursive: true, force: true });
    throw e;
  }
  return { dir: dest, ...refCounts(last) };
}

/** Branch, tag and LFS object counts of the state a manifest describes. */
export function refCounts(m: Manifest): { branches: number; tags: number; lfsObjects: number } {
  const names = Object.keys(m.refs);
  const branches = names.filter((n) => n.startsWith("refs/heads/")).length;
  return {
    branches,
    tags: names.length - branches,
    lfsObjects: m.lfs.objects.length + m.lfs.inherited.length,
  };
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
