import { rmSync } from "node:fs";
import { join } from "node:path";
import type { EcosystemResult } from "../deps/types.ts";
import type { BundleResult } from "../git/bundle.ts";
import type { ModuleLogger } from "../log/logger.ts";
import type { ReviewData } from "../report/review_schema.ts";
import { type StagedReview, stageReview } from "../report/stage_review.ts";
import { allOrAbort } from "./all_or_abort.ts";
import type { ArchiveBase } from "./base_archive.ts";
import { buildStage, localFileOf, stageBundle } from "./build_stage.ts";
import type { ClonedSource } from "./clone_source.ts";
import type { Manifest } from "./manifest.ts";
import { serializeManifest } from "./manifest_json.ts";
import { hashFile } from "./staged_files.ts";
import { precompressEntry, type TarEntry, type TarMemberEntry } from "./tar_writer.ts";

/** Options of {@link stageArchive}. */
export interface StageArchiveOptions {
  type: "full" | "incremental";
  /** Repository name and source URL (no credentials) the manifest records. */
  name: string;
  url: string;
  createdAt: Date;
  /** What the dependencies step reported (its files are already under `<stage>/dependencies/`). */
  deps: EcosystemResult[];
  /** Incremental: the base archive. */
  base?: ArchiveBase;
  /** Depth the clone was cut at (`--depth`), when it was. */
  depth?: number;
  /** Directory for scratch files outside the staging directory (the compressed bundle). */
  scratchDir: string;
  /** mtime and gzip level of the archive's entries (see `writeTarGz`). */
  mtime: Date;
  gzipLevel?: number;
  /** `archive.max_size`: a bundle alone larger than this is not compressed ahead (creation fails anyway). */
  maxSize?: number;
  /** Logger of the review step (`repo_cloner.report`). */
  logger?: ModuleLogger;
  signal?: AbortSignal;
}

/** What {@link stageArchive} prepared. */
export interface StagedArchive {
  manifest: Manifest;
  review: ReviewData;
  /** The archive's entries in order: manifest.json, then every listed file. */
  entries: TarEntry[];
}

/**
 * Fills the staging directory `stage` and returns the manifest and the archive's entries. Three pieces
 * of work mostly wait on git or zlib, and run side by side (the first failure stops the others):
 * the bundle, then its tar entry compressed ahead into a gzip member in `scratchDir` (the longest
 * step; it cannot wait for the manifest that precedes it in the archive, and the manifest needs the
 * review's hash) — the bundle's sha256 is computed as it is compressed, so its bytes are read once
 * and what the manifest lists is exactly what the archive holds — and the review data (review.json,
 * sbom.cdx.json). Then the manifest lists and hashes everything else staged.
 * @throws GitError/ArchiveError from the steps.
 */
export async function stageArchive(
  stage: string,
  cloned: ClonedSource,
  options: StageArchiveOptions,
): Promise<StagedArchive> {
  const [{ bundle, member }, { review }] = await allOrAbort<
    [{ bundle: BundleResult; member?: TarMemberEntry }, StagedReview]
  >([
    async (signal) => {
      const written = await stageBundle(stage, cloned, { base: options.base, signal });
      const file = join(stage, "repo.bundle");
      if (options.maxSize !== undefined && written.size > options.maxSize) {
        return { bundle: { ...written, sha256: await hashFile(file) } };
      }
      // The bundle's sha256 is taken from the very bytes compressed into the archive.
      const member = await precompressEntry(
        { path: "repo.bundle", file, size: written.size },
        join(options.scratchDir, "repo.bundle.gz-member"),
        { mtime: options.mtime, gzipLevel: options.gzipLevel, signal },
      );
      rmSync(file); // its bytes are in the member now: the working directory holds one copy, not two
      return { bundle: { ...written, sha256: member.sha256 }, member };
    },
    (signal) =>
      stageReview(stage, cloned, {
        name: options.name,
        url: options.url,
        createdAt: options.createdAt,
        dependencies: options.deps,
        base: options.base &&
          { archiveId: options.base.manifest.archive_id, refs: options.base.manifest.refs },
        logger: options.logger,
        signal,
      }),
  ], options.signal);
  const manifest = await buildStage(stage, cloned, options.deps, {
    type: options.type,
    name: options.name,
    url: options.url,
    createdAt: options.createdAt,
    base: options.base,
    depth: options.depth,
    bundle,
  });
  const entries: TarEntry[] = [
    { path: "manifest.json", content: new TextEncoder().encode(serializeManifest(manifest)) },
    ...manifest.files.map((f) =>
      member && f.path === member.path ? member : { ...f, file: localFileOf(f, stage, cloned) }
    ),
  ];
  return { manifest, review, entries };
}
