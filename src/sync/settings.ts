import { availableParallelism } from "node:os";
import type { ConfigFile } from "../config/schema.ts";
import { syncConfigFromEnv } from "../config/sync_env.ts";
import { UsageError } from "../errors.ts";
import { type BidiSettings, resolveBidiSettings } from "./bidi_settings.ts";
import { defaultCacheDir } from "./mirror.ts";
import { parseShard, type Shard } from "./shard.ts";
import {
  type GitTargetSettings,
  resolveGitTarget,
  resolveS3Target,
  type S3TargetSettings,
} from "./target_settings.ts";

export type { GitTargetSettings, S3TargetSettings };

/** A forge endpoint with its token. */
export interface EndpointSettings {
  type: "github" | "gitlab";
  url?: string;
  apiUrl?: string;
  token: string;
  /** `GITLAB_TOKEN`, `sources[0].token`… for messages. */
  tokenOrigin: string;
}

/** A source: groups/organizations to discover and explicit repositories. */
export interface SourceSettings extends EndpointSettings {
  namespaces: string[];
  repositories: string[];
  includeArchived: boolean;
}

/** A target namespace on a forge. */
export interface TargetSettings extends EndpointSettings {
  namespace: string;
  visibility: "private" | "internal" | "public";
  prune: boolean;
}

/** Any target: a forge namespace, a plain git server (URL template) or an S3 archive bucket. */
export type AnyTargetSettings = TargetSettings | GitTargetSettings | S3TargetSettings;

/** True for GitHub and GitLab targets (the ones with an API). */
export function isForgeTarget(t: AnyTargetSettings): t is TargetSettings {
  return t.type === "github" || t.type === "gitlab";
}

/** Per-repository settings from `repositories[]`. */
export interface RepoOverride {
  source: string;
  target?: string;
  exclude: boolean;
  shallowCloneDepth?: number;
}

/**
 * Default `concurrency.max_parallel`: four repositories per CPU, at least 4 and at most 16. A mirror
 * run mostly waits — on round trips, on the forge, on the network — so lanes beyond the core count
 * keep the link busy (bench/README.md: on 2 cores with 30 ms per request, 8 lanes beat 4 and 2);
 * the cap keeps one token's concurrent requests well below forges' secondary rate limits.
 */
export function defaultMaxParallel(cpus: number = availableParallelism()): number {
  return Math.min(16, Math.max(4, 4 * Math.max(1, Math.floor(cpus))));
}

/** Everything a sync run needs, resolved from config file, environment and flags. */
export interface SyncSettings {
  sources: SourceSettings[];
  /** In config order. */
  targets: AnyTargetSettings[];
  maxParallel: number;
  timeoutMs: number;
  maxRetries: number;
  backoffMs: number;
  dryRun: boolean;
  shard?: Shard;
  cacheDir: string;
  overrides: RepoOverride[];
  /** Set when `sync.mode` is `bidirectional`: strategy, propagate_deletes, state dir. */
  bidirectional?: BidiSettings;
}

/** Command-line flags of `sync`. */
export interface SyncFlags {
  dryRun?: boolean;
  shard?: string;
  cacheDir?: string;
}

const NAMESPACE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/;

/** Refuses instance URLs that are not plain http(s) or that carry credentials. */
export function checkInstanceUrl(url: string, where: string): void {
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== "https:" && u.protocol !== "http:")) {
    throw new UsageError(`Cannot use ${where} "${url}": only http:// and https:// URLs are supported`);
  }
  if (u.username || u.password) {
    throw new UsageError(
      `Cannot use ${where}: the URL carries credentials. Put the token in the token key instead`,
    );
  }
}

function checkNamespace(ns: string, where: string): void {
  if (!NAMESPACE.test(ns) || ns.split("/").some((s) => s === "." || s === ".." || s.endsWith(".git"))) {
    throw new UsageError(
      `Cannot use ${where} "${ns}": not a valid group or organization path (letters, digits, "_", "-", "." and "/" between parts)`,
    );
  }
}

/**
 * Resolves sync settings: the config file's `sources`/`targets`, else the spec's environment
 * variables (GITLAB_URL, GITLAB_TOKEN, GITLAB_GROUP, GITHUB_URL, GITHUB_ORG, GITHUB_TOKEN). Flags
 * override config. Defaults: max_parallel = {@link defaultMaxParallel}, timeout_per_repo_seconds = 600,
 * max_retries = 3, retry_backoff_seconds = 1, cache dir `$XDG_CACHE_HOME/repo-cloner`.
 * Hostile names and URLs are refused here, before any network use.
 * @throws UsageError naming the key or variable at fault.
 */
export function resolveSyncSettings(
  config: ConfigFile,
  options: { env: Record<string, string | undefined>; flags?: SyncFlags },
): SyncSettings {
  const flags = options.flags ?? {};
  let sourcesRaw = config.sources ?? [];
  let targetsRaw = config.targets ?? [];
  let origins = {
    sources: sourcesRaw.map((_, i) => `sources[${i}].token`),
    targets: targetsRaw.map((_, i) => `targets[${i}].token`),
  };
  if (sourcesRaw.length === 0 && targetsRaw.length === 0) {
    const fromEnv = syncConfigFromEnv(options.env);
    if (!fromEnv) {
      throw new UsageError(
        "Cannot sync: no sources or targets configured. Use --config FILE, or export GITLAB_URL, GITLAB_TOKEN, " +
          "GITLAB_GROUP, GITHUB_ORG and GITHUB_TOKEN",
      );
    }
    sourcesRaw = fromEnv.config.sources ?? [];
    targetsRaw = fromEnv.config.targets ?? [];
    origins = fromEnv.tokenOrigins;
  }
  if (sourcesRaw.length === 0) {
    throw new UsageError("Cannot sync: no sources configured. Add sources[] to the config");
  }
  if (targetsRaw.length === 0) {
    throw new UsageError("Cannot sync: no targets configured. Add targets[] to the config");
  }
  const envToken = (type: string) => type === "gitlab" ? "GITLAB_TOKEN" : "GITHUB_TOKEN";
  const sources = sourcesRaw.map((s, i): SourceSettings => {
    const where = `sources[${i}]`;
    if (s.url) checkInstanceUrl(s.url, `${where}.url`);
    if (s.api_url) checkInstanceUrl(s.api_url, `${where}.api_url`);
    const namespaces = (s.type === "gitlab" ? s.groups : s.organizations) ?? [];
    const repositories = s.repositories ?? [];
    if (namespaces.length === 0 && repositories.length === 0) {
      throw new UsageError(
        `Cannot sync ${where}: set ${s.type === "gitlab" ? "groups" : "organizations"} or repositories`,
      );
    }
    namespaces.forEach((n) => checkNamespace(n, `${where} namespace`));
    repositories.forEach((n) => checkNamespace(n, `${where}.repositories entry`));
    const token = s.token ?? options.env[envToken(s.type)];
    if (!token) {
      throw new UsageError(`Cannot sync ${where}: no token. Set ${where}.token or ${envToken(s.type)}`);
    }
    return {
      type: s.type,
      url: s.url,
      apiUrl: s.api_url,
      token,
      tokenOrigin: s.token ? origins.sources[i] : envToken(s.type),
      namespaces,
      repositories,
      includeArchived: s.include_archived ?? false,
    };
  });
  const targets = targetsRaw.map((t, i): AnyTargetSettings => {
    const where = `targets[${i}]`;
    if (t.type === "git") return resolveGitTarget(t, where, config);
    if (t.type === "s3") return resolveS3Target(t, where, config, options.env);
    if (t.url) checkInstanceUrl(t.url, `${where}.url`);
    if (t.api_url) checkInstanceUrl(t.api_url, `${where}.api_url`);
    const namespace = t.type === "github" ? t.organization : (t.namespace ?? t.organization);
    if (!namespace) {
      throw new UsageError(
        `Cannot sync to ${where}: set ${t.type === "github" ? "organization" : "namespace"}`,
      );
    }
    checkNamespace(namespace, `${where} ${t.type === "github" ? "organization" : "namespace"}`);
    if (t.type === "github" && namespace.includes("/")) {
      throw new UsageError(`Cannot sync to ${where}: a GitHub organization has no "/" ("${namespace}")`);
    }
    const token = t.token ?? options.env[envToken(t.type)];
    if (!token) {
      throw new UsageError(`Cannot sync to ${where}: no token. Set ${where}.token or ${envToken(t.type)}`);
    }
    return {
      type: t.type,
      url: t.url,
      apiUrl: t.api_url,
      token,
      tokenOrigin: t.token ? origins.targets[i] : envToken(t.type),
      namespace,
      visibility: t.visibility ?? "private",
      prune: t.prune ?? config.sync?.prune ?? false,
    };
  });
  for (const s of sources) {
    for (const t of targets.filter(isForgeTarget)) {
      const same = s.type === t.type && sameHost(s.url, t.url, s.type) &&
        s.namespaces.some((n) => n.toLowerCase() === t.namespace.toLowerCase());
      if (same) {
        throw new UsageError(
          `Cannot sync "${t.namespace}" onto itself: source and target are the same namespace`,
        );
      }
    }
  }
  const c = config.concurrency ?? {};
  const bidirectional = resolveBidiSettings(config, { env: options.env, sources: sources.length, targets });

  return {
    sources,
    targets,
    maxParallel: c.max_parallel ?? defaultMaxParallel(),
    timeoutMs: (c.timeout_per_repo_seconds ?? 600) * 1000,
    maxRetries: c.max_retries ?? 3,
    backoffMs: (c.retry_backoff_seconds ?? 1) * 1000,
    dryRun: Boolean(flags.dryRun),
    shard: flags.shard ? parseShard(flags.shard) : undefined,
    cacheDir: flags.cacheDir ?? config.sync?.cache_dir ?? defaultCacheDir(options.env),
    overrides: (config.repositories ?? []).map((r) => ({
      source: r.source,
      target: r.target,
      exclude: r.exclude ?? false,
      shallowCloneDepth: r.shallow_clone_depth,
    })),
    bidirectional,
  };
}

function sameHost(a: string | undefined, b: string | undefined, type: string): boolean {
  const d = type === "gitlab" ? "https://gitlab.com" : "https://github.com";
  return new URL(a ?? d).host.toLowerCase() === new URL(b ?? d).host.toLowerCase();
}
