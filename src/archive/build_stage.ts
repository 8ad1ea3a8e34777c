import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ArchiveError } from "../errors.ts";
import type { EcosystemResult } from "../deps/types.ts";
import { type BundleFile, type BundleResult, createBundle } from "../git/bundle.ts";
import { VERSION } from "../version.ts";
import { type ArchiveBase, baseRecord, inheritFromBase } from "./base_archive.ts";
import type { ClonedSource } from "./clone_source.ts";
import { type FileEntry, lfsEntryPath, type Manifest } from "./manifest.ts";
import { refChanges } from "./ref_state.ts";
import { RESTORE_SCRIPT_PATH, restoreScript } from "./restore_script.ts";
import { hashFile, listStagedFiles } from "./staged_files.ts";

/** What the manifest records about the archive being built. */
export interface StageInfo {
  type: "full" | "incremental";
  name: string;
  url: string;
  createdAt: Date;
  /** Incremental: the base archive (the bundle holds only what is new since its ref tips). */
  base?: ArchiveBase;
  /** Depth the clone was cut at (`--depth`), when it was. */
  depth?: number;
  /** What {@link stageBundle} wrote, with the sha256 of its bytes. */
  bundle: BundleResult;
}

/** Options of {@link stageBundle}. */
export interface StageBundleOptions {
  /** Incremental: the base archive; the bundle then holds only what is new since its ref tips. */
  base?: ArchiveBase;
  signal?: AbortSignal;
}

/**
 * Writes `<stage>/repo.bundle` from the clone (git writes the file; see `createBundle`): every branch
 * and tag (and HEAD), or for an incremental only new or moved refs without what the base's tips (those
 * this clone knows) reach. Independent of the rest of the staging directory, so it can run alongside
 * other work that writes there (the review data); {@link buildStage} takes its result with the
 * sha256 of its bytes.
 * @throws GitError/RepoClonerError when git fails.
 */
export async function stageBundle(
  stage: string,
  cloned: ClonedSource,
  options: StageBundleOptions = {},
): Promise<BundleFile> {
  const changes = options.base ? refChanges(options.base.manifest.refs, cloned.refs) : undefined;
  return await createBundle(
    cloned.gitDir,
    join(stage, "repo.bundle"),
    changes
      ? { refs: Object.keys(changes.changed), exclude: cloned.knownBaseTips, signal: options.signal }
      : { includeHead: cloned.head !== null, signal: options.signal },
  );
}

/**
 * Completes the staging directory `stage` (which already holds `repo.bundle` from
 * {@link stageBundle}, given as `info.bundle`, and what the dependencies and review steps wrote):
 * writes `restore-scripts/restore.sh`, hashes every other staged file once, and returns the manifest
 * listing the bundle, the LFS objects (sha256 = oid, checked again while the tar is written) and
 * every file.
 * @throws ArchiveError for a staged file in the reserved `lfs/` folder or one that is not regular.
 */
export async function buildStage(
  stage: string,
  cloned: ClonedSource,
  deps: EcosystemResult[],
  info: StageInfo,
): Promise<Manifest> {
  const changes = info.base ? refChanges(info.base.manifest.refs, cloned.refs) : undefined;
  const bundle = info.bundle;
  writeFileSync(join(stage, RESTORE_SCRIPT_PATH), restoreScript(), { mode: 0o755 });
  const files: FileEntry[] = [{ path: "repo.bundle", sha256: bundle.sha256, size: bundle.size }];
  for (const o of cloned.lfs) files.push({ path: lfsEntryPath(o.oid), sha256: o.oid, size: o.size });
  for (const f of listStagedFiles(stage, new Set(["repo.bundle"]))) {
    if (f.path.startsWith("lfs/")) throw new ArchiveError(`Cannot archive "${f.path}": "lfs/" is reserved`);
    files.push({ path: f.path, sha256: await hashFile(f.file), size: f.size });
  }
  const dependencies: Manifest["dependencies"] = {};
  for (const d of deps) {
    dependencies[d.ecosystem] = {
      status: d.status,
      ...(d.reason ? { reason: d.reason } : {}),
      packages: d.packages,
      files: d.files,
      projects: d.projects,
      inherited: [],
    };
  }
  const manifest: Manifest = {
    format_version: 1,
    archive_id: randomUUID(),
    type: info.type,
    created_at: info.createdAt.toISOString(),
    tool: { name: "repo-cloner", version: VERSION },
    repository: { name: info.name },
    source: { url: info.url, default_branch: cloned.defaultBranch, head: cloned.head },
    refs: cloned.refs,
    deleted_refs: changes?.deleted ?? [],
    shallow: info.depth !== undefined && cloned.shallowCommits.length > 0
      ? { depth: info.depth, commits: cloned.shallowCommits }
      : null,
    bundle: {
      path: "repo.bundle",
      sha256: bundle.sha256,
      size: bundle.size,
      prerequisites: bundle.prerequisites,
      empty: bundle.empty,
    },
    base: info.base ? baseRecord(info.base) : null,
    lfs: { objects: cloned.lfs.map((o) => ({ oid: o.oid, size: o.size })), inherited: [] },
    dependencies,
    files,
  };
  return info.base ? inheritFromBase(manifest, info.base.manifest) : manifest;
}

/** Where the bytes of a listed entry are on disk: LFS objects stay in the clone's store. */
export function localFileOf(entry: FileEntry, stage: string, cloned: ClonedSource): string {
  if (entry.path.startsWith("lfs/objects/")) {
    return join(cloned.gitDir, "lfs", "objects", ...entry.path.slice("lfs/objects/".length).split("/"));
  }
  return join(stage, ...entry.path.split("/"));
}
