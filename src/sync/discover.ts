import type { ModuleLogger } from "../log/logger.ts";
import type { Platform, RemoteRepository } from "../platforms/types.ts";
import { assignTargetNames } from "./naming.ts";
import { checkCloneUrl } from "./clone_url.ts";
import type { RepoJob } from "./repo_sync.ts";
import { withRetry } from "./retry.ts";
import type { RepoOverride, SourceSettings } from "./settings.ts";
import { selectShard, type Shard } from "./shard.ts";

/** A source with its platform, as the engine built it. */
export interface SourceHandle {
  settings: SourceSettings;
  platform: Platform;
  /** `gitlab.com/backend` labels, one per namespace. */
  labels: string[];
  /** Names the token in auth errors. */
  who: string;
}

/** Options of {@link discoverJobs}. */
export interface DiscoverJobsOptions {
  overrides: readonly RepoOverride[];
  shard?: Shard;
  maxRetries: number;
  backoffMs: number;
  logger?: ModuleLogger;
  /** Called once per discovered namespace with its repository count. */
  onDiscovered?: (e: { source: string; namespace: string; count: number }) => void;
}

/**
 * Discovers every repository of every source (all pages, subgroups included, archived ones only
 * when asked), adds explicit `repositories`, drops `exclude`d ones, assigns flat target names
 * (collisions are an error naming both) and keeps this run's shard. Transient API faults are retried.
 */
export async function discoverJobs(sources: readonly SourceHandle[], options: DiscoverJobsOptions): Promise<{
  jobs: RepoJob[];
  discovered: number;
}> {
  const retry = { maxRetries: options.maxRetries, baseMs: options.backoffMs };
  const found: Array<{ repo: RemoteRepository; source: SourceHandle }> = [];
  const seen = new Set<string>();
  const add = (repo: RemoteRepository, source: SourceHandle) => {
    const key = `${source.platform.host}/${repo.fullPath}`.toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    found.push({ repo, source });
  };
  for (const source of sources) {
    for (const ns of source.settings.namespaces) {
      const repos = await withRetry(
        () => source.platform.discover(ns, { includeArchived: source.settings.includeArchived }),
        retry,
      );
      options.onDiscovered?.({ source: `${source.platform.host}/${ns}`, namespace: ns, count: repos.length });
      for (const r of repos) add(r, source);
    }
    for (const path of source.settings.repositories) {
      add(await withRetry(() => source.platform.getRepository(path), retry), source);
    }
  }
  const match = (o: RepoOverride, r: RemoteRepository) => {
    const k = o.source.toLowerCase();
    return k === r.fullPath.toLowerCase() || k === r.relativePath.toLowerCase();
  };
  const kept = found.filter(({ repo }) => !options.overrides.some((o) => o.exclude && match(o, repo)));
  for (const { repo, source } of kept) checkCloneUrl(repo, source.platform.host);
  const shallow = options.overrides.filter((o) => o.shallowCloneDepth !== undefined);
  if (shallow.length > 0) {
    options.logger?.warning(
      "shallow_clone_depth is ignored by sync: a mirror needs full history to push; it applies to archives",
      { repositories: shallow.map((o) => o.source) },
    );
  }
  const names = assignTargetNames(
    kept.map((k) => k.repo),
    (r) => options.overrides.find((o) => o.target && match(o, r))?.target,
  );
  const jobs = kept.map(({ repo, source }): RepoJob => ({
    source: repo,
    sourceHost: source.platform.host,
    sourceWho: source.who,
    sourceAuth: { token: source.settings.token, username: source.platform.gitUsername },
    name: names.get(repo)!,
  }));
  return {
    jobs: selectShard(jobs, (j) => `${j.sourceHost}/${j.source.fullPath}`, options.shard),
    discovered: found.length,
  };
}
