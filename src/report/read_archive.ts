import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { basename } from "node:path";
import type { TarEntry } from "../archive/tar_reader.ts";
import { ArchiveFormatError } from "../archive/archive_format_error.ts";
import { scanArchive, type ScanResult } from "../archive/scan.ts";
import { archiveError } from "../archive/verify.ts";
import { packagesFromManifest } from "./collect_dependencies.ts";
import { buildReportModel, type ReportModel } from "./report_model.ts";
import {
  MAX_REPORT_ENTRY_BYTES,
  REVIEW_PATH,
  type ReviewPackage,
  reviewSchema,
  SBOM_PATH,
} from "./review_schema.ts";
import { signatureStatus } from "./signature_status.ts";

/** Options of {@link readArchiveReport}. */
export interface ReadArchiveReportOptions {
  /** Trusted minisign public key file; when given, a `.minisig` beside the archive must verify. */
  trustedKeyPath?: string;
}

/** What {@link readArchiveReport} found. */
export interface ArchiveReport {
  model: ReportModel;
  /** `sbom.cdx.json` as carried; null for archives made before it existed. */
  sbomText: string | null;
  /** The dependency packages: from review.json, else from the carried `dependencies/*\/manifest.json`. */
  packages: ReviewPackage[];
  scan: ScanResult;
}

// Entries kept in memory while the archive streams by (everything else is hashed and dropped).
const WANTED =
  /^(review\.json|sbom\.cdx\.json|dependencies\/[^/]+\/manifest\.json|dependencies\/nodejs\/(projects\/.+\/)?(package-lock|npm-shrinkwrap)\.json)$/;

/**
 * Rebuilds the transfer report from an archive alone (no git): checks the signature first when one is
 * present and a trusted key is given, then verifies every entry in one streaming pass (as
 * `archive verify` does) while keeping `review.json`, `sbom.cdx.json` and the dependency manifests, and
 * hashes the archive file itself.
 * @throws VerificationError (exit 3) for an invalid archive, a bad signature or unreadable review data;
 *   UsageError (exit 2) when the file cannot be opened.
 */
export async function readArchiveReport(
  path: string,
  options: ReadArchiveReportOptions = {},
): Promise<ArchiveReport> {
  // A missing archive is reported by the scan (exit 2), not as a signature problem.
  const signature = existsSync(path)
    ? await signatureStatus(path, { trustedKeyPath: options.trustedKeyPath })
    : { status: "unsigned" as const, file: `${basename(path)}.minisig` };
  const kept = new Map<string, Uint8Array>();
  const hashing = hashFile(path);
  let scan: ScanResult;
  try {
    scan = await scanArchive(path, { sink: { directory: () => Promise.resolve(), file: keep(kept) } });
  } catch (error) {
    await hashing.catch(() => {});
    throw archiveError(error, path, "inspect");
  }
  const sha256 = await hashing;
  const text = (p: string) => kept.has(p) ? new TextDecoder().decode(kept.get(p)) : null;
  let review = null;
  const reviewText = text(REVIEW_PATH);
  if (reviewText !== null) {
    try {
      review = reviewSchema.parse(JSON.parse(reviewText));
    } catch (e) {
      const why = (e as Error).message.slice(0, 300);
      throw archiveError(
        new ArchiveFormatError(`entry "${REVIEW_PATH}" is not valid review data: ${why}`, {
          entry: REVIEW_PATH,
        }),
        path,
        "inspect",
      );
    }
  }
  let packages = review?.dependencies.packages ?? [];
  if (!review) {
    packages = [];
    for (const [eco, dep] of Object.entries(scan.manifest.dependencies)) {
      const manifest = text(`dependencies/${eco}/manifest.json`);
      if (dep.status !== "included" || manifest === null) continue;
      try {
        packages.push(
          ...packagesFromManifest(eco, manifest, (rel) => text(`dependencies/${eco}/${rel}`) ?? undefined),
        );
      } catch {
        // An older or foreign dependency manifest: the report says review data is missing anyway.
      }
    }
  }
  const model = buildReportModel(scan.manifest, {
    review,
    archive: { name: basename(path), sha256, size: scan.archiveBytes, verified: true },
    signature,
  });
  return { model, sbomText: text(SBOM_PATH), packages, scan };
}

// At most this much is kept in memory in total (a hostile archive may carry many large lockfiles).
const MAX_KEPT_BYTES = 4 * MAX_REPORT_ENTRY_BYTES;

function keep(kept: Map<string, Uint8Array>) {
  let budget = MAX_KEPT_BYTES;
  return (entry: TarEntry) => {
    const wanted = WANTED.test(entry.path) && entry.size <= MAX_REPORT_ENTRY_BYTES && entry.size <= budget;
    if (wanted) budget -= entry.size;
    const buf = wanted ? new Uint8Array(entry.size) : undefined;
    let at = 0;
    return Promise.resolve({
      write(chunk: Uint8Array) {
        if (buf) {
          buf.set(chunk.subarray(0, Math.max(0, buf.length - at)), at);
          at += chunk.length;
        }
        return Promise.resolve();
      },
      close() {
        if (buf) kept.set(entry.path, buf);
        return Promise.resolve();
      },
    });
  };
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
  }
  return hash.digest("hex");
}
