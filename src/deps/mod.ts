import type { EcosystemResult, FetchDependenciesOptions, InstallDependenciesOptions } from "./types.ts";

/**
 * Detects and fetches the dependencies of the repository whose (bare) git directory is `gitDir`,
 * reading its default branch's tree, into `depsDir` (the archive's `dependencies/` staging folder).
 * Interim: no ecosystem is implemented yet, so nothing is detected (issue 3 replaces this).
 */
export function fetchDependencies(
  _gitDir: string,
  _depsDir: string,
  _options: FetchDependenciesOptions = {},
): Promise<EcosystemResult[]> {
  return Promise.resolve([]);
}

/**
 * Installs carried dependencies offline into the restored repository `repoDir` from `depsDir`.
 * Interim: nothing to install until issue 3 lands.
 */
export function installDependencies(
  _repoDir: string,
  _depsDir: string,
  _options: InstallDependenciesOptions = {},
): Promise<EcosystemResult[]> {
  return Promise.resolve([]);
}
