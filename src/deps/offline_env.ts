/**
 * Environments for installing on the air-gapped host, built so that reaching a network is impossible,
 * not merely unused: every index and registry points at a closed loopback port, every proxy too, and
 * the tools run in their offline modes (`pip --no-index`, `npm --offline`). Nothing from the host's
 * pip or npm configuration is inherited.
 */

/** A closed port (discard) on loopback: any request that slipped through fails at once. */
export const DEAD_URL = "http://127.0.0.1:9/";

/** Variables kept from the caller's environment; everything else is dropped. */
const KEEP = ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "USER"];

function base(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of KEEP) if (env[k] !== undefined) out[k] = env[k]!;
  return {
    ...out,
    HTTP_PROXY: DEAD_URL,
    HTTPS_PROXY: DEAD_URL,
    http_proxy: DEAD_URL,
    https_proxy: DEAD_URL,
    ALL_PROXY: DEAD_URL,
    NO_PROXY: "",
    no_proxy: "",
  };
}

/** Environment of the offline `pip install`: no config files, no index, no cache, no prompts. */
export function offlinePipEnv(env: Record<string, string | undefined>): Record<string, string> {
  return {
    ...base(env),
    PIP_CONFIG_FILE: "/dev/null",
    PIP_NO_INDEX: "1",
    PIP_INDEX_URL: `${DEAD_URL}simple/`,
    PIP_NO_INPUT: "1",
    PIP_NO_CACHE_DIR: "1",
    PIP_DISABLE_PIP_VERSION_CHECK: "1",
    PYTHONDONTWRITEBYTECODE: "1",
  };
}

/**
 * Environment of the offline `npm ci`: the carried cache, offline mode, empty user and global config
 * files (in `scratch`), logs in `scratch`, proxies at the dead port. `registry` is the one the cache
 * was filled from: with `--offline` npm only looks it up in the cache (lockfiles without `resolved`
 * need the cached packuments under that URL).
 */
export function offlineNpmEnv(
  env: Record<string, string | undefined>,
  options: { cache: string; registry: string; scratch: string; allowInstallScripts?: boolean },
): Record<string, string> {
  return {
    ...base(env),
    npm_config_cache: options.cache,
    npm_config_offline: "true",
    npm_config_registry: options.registry || DEAD_URL,
    npm_config_userconfig: `${options.scratch}/npmrc-user`,
    npm_config_globalconfig: `${options.scratch}/npmrc-global`,
    npm_config_logs_dir: `${options.scratch}/npm-logs`,
    npm_config_proxy: DEAD_URL,
    npm_config_https_proxy: DEAD_URL,
    npm_config_noproxy: "",
    npm_config_update_notifier: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_ignore_scripts: options.allowInstallScripts ? "false" : "true",
  };
}
