/**
 * Archive file names as stored: `<repo>-<full|incremental>-<YYYYMMDD-HHMMSS>.tar.gz`, and their sidecars
 * (`<archive>.minisig`, `<archive>.report.html`, any `<archive>.<suffix>`), which live and die with it.
 */

/** The parts of an archive file name. */
export interface ArchiveName {
  /** The whole file name, e.g. `backend-api-full-20251013-140000.tar.gz`. */
  name: string;
  /** Repository name, e.g. `backend-api` (may itself contain hyphens). */
  repo: string;
  type: "full" | "incremental";
  /** The `YYYYMMDD-HHMMSS` stamp; sorts chronologically as a string. */
  stamp: string;
}

const ARCHIVE = /^(.+)-(full|incremental)-(\d{8}-\d{6})\.tar\.gz$/;

/** Parses an archive file name (no directory part); undefined when it is not one. */
export function parseArchiveName(name: string): ArchiveName | undefined {
  const m = ARCHIVE.exec(name);
  if (!m || m[1].includes("/")) return undefined;
  return { name, repo: m[1], type: m[2] as "full" | "incremental", stamp: m[3] };
}

/**
 * The archive a sidecar file belongs to: `x-full-20250101-000000.tar.gz.minisig` gives the archive's
 * name; undefined when `name` is not `<archive>.<suffix>`.
 */
export function sidecarOf(name: string): string | undefined {
  const i = name.indexOf(".tar.gz.");
  if (i < 0) return undefined;
  const archive = name.slice(0, i + ".tar.gz".length);
  return parseArchiveName(archive) ? archive : undefined;
}
