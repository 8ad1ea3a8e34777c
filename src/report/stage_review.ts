import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LfsObject } from "../git/lfs.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { VERSION } from "../version.ts";
import { collectDependencies, type EcosystemInfo } from "./collect_dependencies.ts";
import { collectHistory, type HistoryLimits } from "./collect_history.ts";
import { collectObjects } from "./collect_objects.ts";
import { REVIEW_PATH, type ReviewData, reviewSchema, SBOM_PATH } from "./review_schema.ts";
import { buildSbom, type CycloneDxBom } from "./sbom.ts";

/** The clone `archive create` made (the fields of `ClonedSource` the review reads). */
export interface ReviewSource {
  /** Bare repository. */
  gitDir: string;
  /** Ref tips carried, refname → object id. */
  refs: Record<string, string>;
  defaultBranch: string | null;
  head: string | null;
  lfs: LfsObject[];
}

/** Options of {@link stageReview}. */
export interface StageReviewOptions {
  /** Repository name (manifest `repository.name`). */
  name: string;
  /** Source URL without credentials (manifest `source.url`). */
  url: string;
  createdAt: Date;
  /** What the dependencies step reported; default none. */
  dependencies?: EcosystemInfo[];
  /** Incremental: base archive id and its ref tips (from the base manifest). */
  base?: { archiveId: string; refs: Record<string, string> };
  limits?: Partial<HistoryLimits> & { largest?: number; binaryFiles?: number };
  logger?: ModuleLogger;
  signal?: AbortSignal;
}

/** What {@link stageReview} wrote. */
export interface StagedReview {
  review: ReviewData;
  sbom: CycloneDxBom;
}

/**
 * Computes the transfer review data from the clone (refs old → new, commits and authors, largest and
 * binary files, LFS objects, dependency packages) and writes `review.json` and the CycloneDX SBOM
 * `sbom.cdx.json` at the top of the staging directory `stage`, where the archive step lists and hashes
 * them like every other entry. Call it after the dependencies step filled `stage/dependencies/`.
 * @throws GitError when git fails; ArchiveError when a dependency manifest is unreadable.
 */
export async function stageReview(
  stage: string,
  source: ReviewSource,
  options: StageReviewOptions,
): Promise<StagedReview> {
  const started = performance.now();
  const log = options.logger;
  const history = await collectHistory(source.gitDir, source.refs, {
    base: options.base,
    defaultBranch: source.defaultBranch,
    limits: options.limits,
    logger: log,
    signal: options.signal,
  });
  const objects = await collectObjects(
    source.gitDir,
    {
      objects: history.objectRevisions,
      commits: history.revisions,
    },
    source.lfs,
    {
      largest: options.limits?.largest,
      binaryFiles: options.limits?.binaryFiles,
      // A full archive brings the whole history: the files at its tips are what a reviewer weighs, and
      // reading them costs one pass, where every historical change would cost a diff of each commit.
      binaryAtTips: options.base ? undefined : [
        ...new Set(history.refs.flatMap((r) => (r.range ? [r.range.to] : []))),
      ],
      logger: log,
      signal: options.signal,
    },
  );
  const dependencies = collectDependencies(stage, options.dependencies ?? []);
  const detailed = history.refs.filter((r) => r.range && r.commits !== null).length;
  const review = reviewSchema.parse(
    {
      format_version: 1,
      created_at: options.createdAt.toISOString(),
      repository: {
        name: options.name,
        url: options.url,
        default_branch: source.defaultBranch,
        head: source.head,
      },
      base: history.base,
      refs: history.refs,
      history: history.history,
      ...objects,
      dependencies,
      limits: {
        refs_detailed: detailed,
        authors_per_ref: options.limits?.authorsPerRef ?? 20,
        authors: options.limits?.authors ?? 500,
        largest: options.limits?.largest ?? 25,
        binary_files: options.limits?.binaryFiles ?? 200,
      },
    } satisfies ReviewData,
  );
  const sbom = buildSbom(
    { name: options.name, url: options.url, head: source.head, defaultBranch: source.defaultBranch },
    dependencies.packages,
    { createdAt: options.createdAt, toolVersion: VERSION },
  );
  writeFileSync(join(stage, REVIEW_PATH), JSON.stringify(review, null, 2) + "\n");
  writeFileSync(join(stage, SBOM_PATH), JSON.stringify(sbom, null, 2) + "\n");
  log?.info("Review data collected", {
    repository: options.name,
    refs: review.refs.length,
    commits: review.history.commits,
    authors: review.history.authors_total,
    binary_files: review.binary_files.total,
    packages: dependencies.packages.length,
    duration_seconds: Math.round(performance.now() - started) / 1000,
  });
  return { review, sbom };
}
