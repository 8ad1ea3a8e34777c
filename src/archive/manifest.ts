import { z } from "zod";

/**
 * Archive manifest, format v1 (docs/ARCHIVE-FORMAT.md). `manifest.json` is the first tar entry; it
 * lists every other entry with its sha256 and size, so a verifier can check the archive in one pass.
 */
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits");
const gitSha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, "must be a full hex object id");

/** One archive entry other than manifest.json. */
export const fileEntrySchema = z.strictObject({
  path: z.string().min(1),
  sha256,
  size: z.number().int().min(0),
});

const lfsObjectSchema = z.strictObject({ oid: sha256, size: z.number().int().min(0) });

/** The manifest.json schema, format v1. */
export const manifestSchema = z.strictObject({
  format_version: z.literal(1),
  archive_id: z.string().regex(/^[0-9a-f-]{8,64}$/),
  type: z.enum(["full", "incremental"]),
  created_at: z.string(),
  tool: z.strictObject({ name: z.literal("repo-cloner"), version: z.string() }),
  repository: z.strictObject({ name: z.string().min(1) }),
  source: z.strictObject({
    url: z.string(),
    default_branch: z.string().nullable(),
    head: gitSha.nullable(),
  }),
  /** Every ref carried (refs/heads/*, refs/tags/*), refname -> object id (for tags: the tag object). */
  refs: z.record(z.string(), gitSha),
  /** Refs removed since the base (incremental only). */
  deleted_refs: z.array(z.string()).default([]),
  /**
   * Set when the history was cut at a depth: `commits` are the boundary (shallow) commits, whose
   * parents the bundle lacks; restore writes them to `.git/shallow` before fetching the bundle.
   */
  shallow: z.strictObject({ depth: z.number().int().positive(), commits: z.array(gitSha).default([]) })
    .nullable().default(null),
  bundle: z.strictObject({
    path: z.literal("repo.bundle"),
    sha256,
    size: z.number().int().min(0),
    /** Commits the bundle needs but does not contain (incremental): object ids. */
    prerequisites: z.array(gitSha),
    /** True when there was nothing to bundle (empty repository, or nothing new since the base). */
    empty: z.boolean().default(false),
  }),
  /**
   * Incremental: the base archive's id, the sha256 of the base's manifest.json bytes, and the sha256 of
   * the base's ref state (see `refStateSha256`), so an incremental can be checked against a chain or a
   * repository restored earlier.
   */
  base: z.strictObject({ archive_id: z.string(), sha256, refs_sha256: sha256 }).nullable(),
  lfs: z.strictObject({
    objects: z.array(lfsObjectSchema),
    /** Incremental: LFS objects earlier archives of the chain carry (left out of this one). */
    inherited: z.array(lfsObjectSchema).default([]),
  }),
  /** Per ecosystem: status and what was carried. Filled by the dependencies step (issue 3). */
  dependencies: z.record(
    z.string(),
    z.strictObject({
      status: z.enum(["included", "skipped", "missing", "unsupported"]),
      reason: z.string().optional(),
      packages: z.number().int().min(0).default(0),
      files: z.array(z.string()).default([]),
      projects: z.array(z.string()).default([]),
      /** Incremental: dependency files identical to the base's (same path and sha256), left out. */
      inherited: z.array(fileEntrySchema).default([]),
    }),
  ),
  /** Every other entry: bundle, LFS objects, dependency files, restore scripts. */
  files: z.array(fileEntrySchema),
  /**
   * Self-checksum: sha256 of this manifest.json with these 64 hex digits replaced by 64 "0" (see
   * `sealManifest`), so a flipped byte anywhere in the manifest is caught without a signature.
   * Optional in format v1 for manifests written before it existed; checked whenever present.
   */
  manifest_sha256: sha256.optional(),
});

/** A parsed, validated manifest. */
export type Manifest = z.infer<typeof manifestSchema>;
/** One listed entry. */
export type FileEntry = z.infer<typeof fileEntrySchema>;

/** Largest manifest.json we accept (a hostile archive may claim a huge one). */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

/** Path of the LFS object with `oid` inside an archive. */
export function lfsEntryPath(oid: string): string {
  return `lfs/objects/${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}`;
}
