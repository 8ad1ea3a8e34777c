import { writeFileAtomic } from "../fs/atomic_write.ts";
import type { Manifest } from "../archive/manifest.ts";
import { renderReportHtml } from "./render_html.ts";
import { buildReportModel, type ReportModel } from "./report_model.ts";
import type { ReviewData } from "./review_schema.ts";
import { signatureStatus } from "./signature_status.ts";
import { basename } from "node:path";

/** Suffix of the report written beside an archive. */
export const REPORT_SUFFIX = ".report.html";

/** Options of {@link writeReportBeside}. */
export interface WriteReportOptions {
  manifest: Manifest;
  /** The review data staged into the archive (null when none was made). */
  review: ReviewData | null;
  /** sha256 and size of the finished archive file. */
  sha256: string;
  size: number;
  /** Whether the archive was verified after it was written. */
  verified: boolean;
  /** Key id of the signature this run made, shown with the (not re-verified) signature status. */
  signatureKeyId?: string;
}

/**
 * Writes `<archive>.report.html` beside the archive, atomically (temporary file, fsync, rename): the
 * same report `archive inspect --report html` rebuilds from the archive. The signature status is what
 * lies beside the archive now (a `.minisig` written later needs the report written again).
 * @returns the report's path and its model.
 */
export async function writeReportBeside(
  archivePath: string,
  options: WriteReportOptions,
): Promise<{ path: string; model: ReportModel }> {
  const signature = await signatureStatus(archivePath);
  if (signature.status === "unverified" && options.signatureKeyId) signature.key_id = options.signatureKeyId;
  const model = buildReportModel(options.manifest, {
    review: options.review,
    archive: {
      name: basename(archivePath),
      sha256: options.sha256,
      size: options.size,
      verified: options.verified,
    },
    signature,
  });
  const path = archivePath + REPORT_SUFFIX;
  writeFileAtomic(path, renderReportHtml(model));
  return { path, model };
}
