/**
 * The per-ecosystem manifests written to `dependencies/<ecosystem>/manifest.json` (format 1). They
 * list every carried package with name, version, file, sha256 and licence (when the package metadata
 * has one), so an SBOM and the transfer report can be built from them, and record per project root
 * which file the offline install uses. Paths are relative to `dependencies/<ecosystem>/`.
 */

/** One carried Python distribution file. */
export interface PythonPackage {
  name: string;
  version: string;
  /** e.g. "packages/alpha-1.0-py3-none-any.whl". */
  filename: string;
  sha256: string;
  size: number;
  license?: string;
  kind: "wheel" | "sdist";
  /** "runtime": pinned in a project's requirements; "build": needed to build an sdist offline. */
  role: "runtime" | "build";
}

/** One Python project root and the hash-pinned requirements file its offline install uses. */
export interface PythonProjectEntry {
  root: string;
  /** What the pins were exported from, e.g. ["requirements.txt"] or ["poetry.lock"]. */
  sources: string[];
  /** e.g. "requirements.txt" for ".", "projects/services/api/requirements.txt" otherwise. */
  requirements: string;
  /** Pins, "name==version". */
  packages: string[];
  /** Requirements that could not be carried (local paths, VCS sources...). */
  skipped: string[];
}

/** `dependencies/python/manifest.json`. */
export interface PythonManifest {
  format_version: 1;
  ecosystem: "python";
  /** Indexes fetched from, credentials removed. */
  index_urls: string[];
  /** pip pass-through used at fetch time. */
  target: { python_version?: string; platforms?: string[]; only_binary?: string };
  projects: PythonProjectEntry[];
  packages: PythonPackage[];
}

/** One carried npm package tarball (stored in the npm cache by its integrity). */
export interface NodePackage {
  name: string;
  version: string;
  /** e.g. "npm-cache/_cacache/content-v2/sha512/ab/cd/…". */
  filename: string;
  sha256: string;
  size: number;
  /** The lockfile's Subresource Integrity string, checked by npm on install. */
  integrity: string;
  license?: string;
  resolved?: string;
}

/** One Node.js project root. */
export interface NodeProjectEntry {
  root: string;
  /** The lockfile's path inside the repository, e.g. "web/package-lock.json". */
  lockfile: string;
  /** Its copy in the archive, e.g. "package-lock.json" or "projects/web/package-lock.json". */
  lockfile_copy: string;
  packages: number;
  skipped: string[];
}

/** `dependencies/nodejs/manifest.json`. */
export interface NodeManifest {
  format_version: 1;
  ecosystem: "nodejs";
  /** Registry npm resolved against at fetch time (credentials removed); reused, offline, on install. */
  registry: string;
  /** The npm cache directory, relative to `dependencies/nodejs/`. */
  cache: "npm-cache";
  projects: NodeProjectEntry[];
  packages: NodePackage[];
}

/** Where a project's files go inside an ecosystem folder: "." at the top, others under projects/. */
export function projectPath(root: string, file: string): string {
  return root === "." ? file : `projects/${root}/${file}`;
}
