import { z } from "zod";

/**
 * `review.json`, format 1: what a reviewer needs to approve a transfer, computed at `archive create`
 * time (where git and the clone exist) and carried inside the archive, listed in the manifest like
 * every entry, so `archive inspect --report` rebuilds the report from the archive alone, without git.
 * Everything in it that came from the repository (names, e-mails, paths, ref names) is untrusted text.
 */
const oid = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, "must be a full hex object id");
const count = z.number().int().min(0);
const text = z.string().max(4096);

/** A commit author, as `git log --format=%aN/%aE` shows it (mailmap applied). */
export const authorSchema = z.strictObject({ name: text, email: text, commits: count });

/** One ref as it crosses: old tip (base) → new tip. */
export const reviewRefSchema = z.strictObject({
  name: text,
  kind: z.enum(["branch", "tag", "other"]),
  /**
   * added (no old tip), updated (old is an ancestor of new), rewritten (not a fast-forward, or the old
   * tip is gone from the source), deleted (no new tip), unchanged.
   */
  change: z.enum(["added", "updated", "rewritten", "deleted", "unchanged"]),
  /** Tip in the base archive; null for a full archive or a new ref. */
  old: oid.nullable(),
  /** Tip carried now; null for a deleted ref. */
  new: oid.nullable(),
  /**
   * The commits this ref brings: `to` minus `from` (`from..to`) minus, when `excludes_base`, everything
   * reachable from the base's tips. Null when the ref brings nothing (deleted, unchanged, not a commit).
   */
  range: z.strictObject({ from: oid.nullable(), to: oid, excludes_base: z.boolean() }).nullable(),
  /** Commits in the range; null when not computed (see `limits`). */
  commits: count.nullable(),
  /** Authors in the range, most commits first, at most `limits.authors_per_ref`. */
  authors: z.array(authorSchema),
  authors_total: count,
});

/** One dependency package carried under `dependencies/`. */
export const reviewPackageSchema = z.strictObject({
  ecosystem: text,
  name: text,
  version: text,
  /** Licence from the package metadata, when it has one. */
  license: text.nullable(),
  /** Archive path of the package file, e.g. `dependencies/python/packages/x-1.0-py3-none-any.whl`. */
  filename: text,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: count,
  /** wheel, sdist, npm tarball, … */
  kind: text,
  /** Whether installing it runs package code: true, false, or null when unknown. */
  install_script: z.boolean().nullable(),
  /** Why (e.g. "npm lockfile: hasInstallScript", "sdist: building runs setup.py"). */
  install_script_reason: text.nullable(),
});

/** review.json. */
export const reviewSchema = z.strictObject({
  format_version: z.literal(1),
  created_at: z.string(),
  repository: z.strictObject({
    name: text,
    url: text,
    default_branch: text.nullable(),
    head: oid.nullable(),
  }),
  /**
   * Incremental: the base archive, and how many of its distinct ref tips the source still has
   * (`tips_missing`: force-pushed or deleted away, so those refs show as rewritten). Null for full.
   */
  base: z.strictObject({ archive_id: text, tips_found: count, tips_missing: count }).nullable(),
  refs: z.array(reviewRefSchema),
  /** Every commit the archive brings (all refs, base history excluded). */
  history: z.strictObject({
    commits: count,
    authors: z.array(authorSchema),
    authors_total: count,
    /** Authors with no commit in the base's history; null for a full archive (no base). */
    new_authors: z.array(authorSchema).nullable(),
    new_authors_total: count,
  }),
  /** Blobs in the new commits. */
  objects: z.strictObject({
    blobs: count,
    blob_bytes: count,
    largest: z.array(z.strictObject({ path: text, oid, size: count })),
  }),
  /**
   * Files git treats as binary (a NUL in the first 8000 bytes, or a `binary`/`-diff` attribute). Which
   * files were looked at is `scope`: "commits" = added or changed by the new commits (numstat `-`;
   * incrementals, and every archive made before `scope` existed); "tips" = present at the tip commits
   * of the carried refs (full archives), `commit` then being the first tip (in ref order) holding it.
   */
  binary_files: z.strictObject({
    scope: z.enum(["commits", "tips"]).optional(),
    total: count,
    files: z.array(z.strictObject({ path: text, commit: oid })),
  }),
  lfs: z.strictObject({
    objects: count,
    bytes: count,
    largest: z.array(z.strictObject({ oid: z.string().regex(/^[0-9a-f]{64}$/), size: count })),
  }),
  dependencies: z.strictObject({
    ecosystems: z.array(z.strictObject({
      ecosystem: text,
      status: text,
      reason: text.nullable(),
      packages: count,
    })),
    packages: z.array(reviewPackageSchema),
  }),
  /** Caps applied while collecting; lists are cut, totals are exact. */
  limits: z.strictObject({
    refs_detailed: count,
    authors_per_ref: count,
    authors: count,
    largest: count,
    binary_files: count,
  }),
});

/** Parsed review.json. */
export type ReviewData = z.infer<typeof reviewSchema>;
/** One ref of {@link ReviewData}. */
export type ReviewRef = z.infer<typeof reviewRefSchema>;
/** One package of {@link ReviewData}. */
export type ReviewPackage = z.infer<typeof reviewPackageSchema>;
/** One author. */
export type ReviewAuthor = z.infer<typeof authorSchema>;

/** Archive path of the review data. */
export const REVIEW_PATH = "review.json";
/** Archive path of the CycloneDX SBOM. */
export const SBOM_PATH = "sbom.cdx.json";
/** Largest review.json / sbom.cdx.json read back from an archive. */
export const MAX_REPORT_ENTRY_BYTES = 64 * 1024 * 1024;
