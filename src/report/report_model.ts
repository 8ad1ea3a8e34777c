import type { Manifest } from "../archive/manifest.ts";
import type { ReviewData } from "./review_schema.ts";

/** What is known about the archive's detached signature `<archive>.minisig`. */
export interface SignatureStatus {
  /**
   * verified: checked against the trusted key; unverified: a signature is present but no trusted key was
   * given; unsigned: no `.minisig` beside the archive.
   */
  status: "verified" | "unverified" | "unsigned";
  /** Signature file looked for. */
  file: string;
  /** Key id: checked (verified), or as the signing run reported it (unverified, at create time). */
  key_id?: string;
  /** Verified trusted comment (verified only). */
  trusted_comment?: string;
}

/** One thing a reviewer should look at. */
export interface ReportWarning {
  kind:
    | "unsigned"
    | "signature_unverified"
    | "not_verified"
    | "binary_files"
    | "new_authors"
    | "install_scripts"
    | "rewritten_refs"
    | "deleted_refs"
    | "no_review_data";
  message: string;
  /** How many items it concerns. */
  count: number;
}

/** The archive file itself. */
export interface ArchiveFacts {
  /** File name. */
  name: string;
  /** sha256 of the `.tar.gz` file (not knowable from inside it). */
  sha256: string;
  size: number;
  /** Whether every entry was checked against the manifest while reading (or right after writing). */
  verified: boolean;
}

/** `archive inspect --report json`: everything the HTML report shows. */
export interface ReportModel {
  report_version: 1;
  archive: ArchiveFacts;
  signature: SignatureStatus;
  manifest: {
    archive_id: string;
    type: Manifest["type"];
    created_at: string;
    tool: Manifest["tool"];
    repository: string;
    source: Manifest["source"];
    base: Manifest["base"];
    deleted_refs: string[];
    /** Every ref carried, refname → object id. */
    refs: Record<string, string>;
    bundle: { size: number; empty: boolean; prerequisites: number };
    files: number;
    content_bytes: number;
    /**
     * Incremental: dependency files left out because the base chain already carries them (same path
     * and sha256), and the number of LFS objects likewise inherited. Empty/0 for a full archive.
     */
    inherited_dependency_files: string[];
    inherited_lfs_objects: number;
  };
  /** review.json from the archive; null for archives made before it existed. */
  review: ReviewData | null;
  warnings: ReportWarning[];
}

/**
 * Assembles the report from the archive's manifest, its review data, the archive file's facts and the
 * signature status, and derives the warnings: unsigned or unverified signature, archive not verified,
 * binary files, new authors, packages with install scripts, rewritten or deleted refs.
 */
export function buildReportModel(
  manifest: Manifest,
  options: { review: ReviewData | null; archive: ArchiveFacts; signature: SignatureStatus },
): ReportModel {
  const { review, archive, signature } = options;
  const warnings: ReportWarning[] = [];
  const warn = (kind: ReportWarning["kind"], count: number, message: string) => {
    if (count > 0) warnings.push({ kind, count, message });
  };
  warn(
    "unsigned",
    signature.status === "unsigned" ? 1 : 0,
    `Unsigned archive: no ${signature.file} beside it. Nothing proves who made it; ask for a signed archive`,
  );
  warn(
    "signature_unverified",
    signature.status === "unverified" ? 1 : 0,
    "A signature is present but was not checked: pass --trusted-key PUB to verify it",
  );
  warn(
    "not_verified",
    archive.verified ? 0 : 1,
    "The archive's entries were not checked against its manifest: run repo-cloner archive verify",
  );
  warn(
    "no_review_data",
    review ? 0 : 1,
    "This archive carries no review.json (made by an older repo-cloner): commits, authors, files and packages are not shown",
  );
  if (review) {
    const binary = review.binary_files.total;
    warn("binary_files", binary, `${binary} binary file${s(binary)} ${binaryScopeText(review)}`);
    const fresh = review.history.new_authors_total;
    warn("new_authors", fresh, `${fresh} author${s(fresh)} with no commit in the base archive's history`);
    const scripts = review.dependencies.packages.filter((p) => p.install_script).length;
    warn(
      "install_scripts",
      scripts,
      `${scripts} dependency package${s(scripts)} run${
        scripts === 1 ? "s" : ""
      } code when installed (npm install scripts, Python sdists)`,
    );
    const rewritten = review.refs.filter((r) => r.change === "rewritten").length;
    warn(
      "rewritten_refs",
      rewritten,
      `${rewritten} ref${s(rewritten)} rewritten (not a fast-forward of the base)`,
    );
  }
  warn(
    "deleted_refs",
    manifest.deleted_refs.length,
    `${manifest.deleted_refs.length} ref${s(manifest.deleted_refs.length)} deleted since the base`,
  );
  return {
    report_version: 1,
    archive,
    signature,
    manifest: {
      archive_id: manifest.archive_id,
      type: manifest.type,
      created_at: manifest.created_at,
      tool: manifest.tool,
      repository: manifest.repository.name,
      source: manifest.source,
      base: manifest.base,
      deleted_refs: manifest.deleted_refs,
      refs: manifest.refs,
      bundle: {
        size: manifest.bundle.size,
        empty: manifest.bundle.empty,
        prerequisites: manifest.bundle.prerequisites.length,
      },
      files: manifest.files.length + 1,
      content_bytes: manifest.files.reduce((n, f) => n + f.size, 0),
      inherited_dependency_files: Object.values(manifest.dependencies).flatMap((d) =>
        (d.inherited ?? []).map((f) => f.path)
      ).sort(),
      inherited_lfs_objects: manifest.lfs.inherited?.length ?? 0,
    },
    review,
    warnings,
  };
}

function s(n: number): string {
  return n === 1 ? "" : "s";
}

/**
 * Which files `binary_files` looked at: those at the tips of the carried refs (full archives), or those
 * the new commits added or changed (incrementals, and archives made before `scope` was recorded).
 */
export function binaryScopeText(review: ReviewData): string {
  return review.binary_files.scope === "tips"
    ? "at the tips of the carried branches and tags"
    : "added or changed by the new commits";
}
