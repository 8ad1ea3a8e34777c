import type { ModuleLogger } from "../log/logger.ts";

/**
 * Contract between the archive pipeline and the dependency ecosystems (issue 3).
 * `fetchDependencies` runs on the online side and writes under `<staging>/dependencies/`;
 * `installDependencies` runs on the air-gapped side against the restored repository.
 */
export interface EcosystemResult {
  /** "python" | "nodejs" */
  ecosystem: string;
  /** Display name: "Python", "Node.js". */
  label: string;
  status: "included" | "skipped" | "missing" | "unsupported";
  /** Why it is skipped/missing/unsupported (shown and logged). */
  reason?: string;
  /** Packages carried. */
  packages: number;
  /** Project roots inside the repository where this ecosystem was found ("." for the top). */
  projects: string[];
  /** Files written, relative to the archive root (e.g. "dependencies/python/manifest.json"). */
  files: string[];
  /** Total size of the files written, in bytes (fetch only). */
  bytes?: number;
}

/** Progress callback: the CLI renders these as the spec's "Python: Fetching from PyPI..." lines. */
export type DependencyProgress = (event: {
  ecosystem: string;
  label: string;
  phase: "start" | "done" | "warning";
  message: string;
  packages?: number;
}) => void;

/** Options of fetchDependencies. */
export interface FetchDependenciesOptions {
  logger?: ModuleLogger;
  progress?: DependencyProgress;
  /** Fail instead of warning when an ecosystem cannot be fetched. Default false. */
  strict?: boolean;
  /** Environment (PIP_INDEX_URL, NPM_CONFIG_REGISTRY, tokens...). Default process.env. */
  env?: Record<string, string | undefined>;
  /** pip pass-through: --python-version, --platform, --only-binary. */
  pip?: { pythonVersion?: string; platforms?: string[]; onlyBinary?: string };
}

/** Options of installDependencies. */
export interface InstallDependenciesOptions {
  logger?: ModuleLogger;
  progress?: DependencyProgress;
  env?: Record<string, string | undefined>;
  /** Allow package install scripts (npm lifecycle scripts). Default false. */
  allowInstallScripts?: boolean;
}
