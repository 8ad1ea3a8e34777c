import { redactor } from "../log/redact.ts";
import { DependencyError } from "./errors.ts";
import { stripCredentials } from "./_fs.ts";

/** One installable package of a lockfile. */
export interface LockPackage {
  /** Lockfile key ("node_modules/a/node_modules/b") or v1 path. */
  key: string;
  name: string;
  version: string;
  integrity?: string;
  resolved?: string;
  license?: string;
  optional: boolean;
  /** Why it is not carried (git, file, link...), when it is not. */
  uncarried?: string;
}

/**
 * Lists the packages of an npm lockfile (v1 `dependencies` tree, v2/v3 `packages` map). Workspace
 * links and bundled dependencies (inside their parent's tarball) are left out; git, file and remote
 * URL dependencies are listed with `uncarried` set, since the npm cache cannot serve them offline.
 */
export function lockPackages(lock: Record<string, unknown>): LockPackage[] {
  const out: LockPackage[] = [];
  const packages = lock.packages as Record<string, Record<string, unknown>> | undefined;
  if (packages && typeof packages === "object") {
    for (const [key, e] of Object.entries(packages)) {
      if (key === "" || !key.includes("node_modules/") || e.link || e.inBundle) continue;
      const name = typeof e.name === "string" ? e.name : key.slice(key.lastIndexOf("node_modules/") + 13);
      out.push(entry(key, name, e));
    }
    return out;
  }
  const walk = (deps: unknown, prefix: string, depth: number) => {
    if (!deps || typeof deps !== "object" || depth > 200) return;
    for (const [name, raw] of Object.entries(deps as Record<string, Record<string, unknown>>)) {
      const key = `${prefix}node_modules/${name}`;
      if (!raw.bundled) out.push(entry(key, name, raw));
      walk(raw.dependencies, `${key}/`, depth + 1);
    }
  };
  walk(lock.dependencies, "", 0);
  return out;
}

function entry(key: string, name: string, e: Record<string, unknown>): LockPackage {
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const resolved = str(e.resolved);
  const version = str(e.version) ?? "";
  const integrity = str(e.integrity);
  let uncarried: string | undefined;
  if (/^(git\+|git:|github:|ssh:)/.test(resolved ?? version)) uncarried = "git dependency";
  else if (/^file:/.test(resolved ?? version)) uncarried = "local file dependency";
  else if (!integrity) uncarried = "no integrity in the lockfile";
  return {
    key,
    name,
    version,
    integrity,
    resolved: resolved ? stripCredentials(resolved) : undefined,
    license: str(e.license),
    optional: Boolean(e.optional || e.devOptional),
    uncarried,
  };
}

/** Path of a cached tarball inside an npm cache (`_cacache/content-v2/<algo>/<hex>`), by integrity. */
export function cacheContentPaths(integrity: string): string[] {
  const out: string[] = [];
  for (const part of integrity.trim().split(/\s+/)) {
    const m = /^(sha512|sha384|sha256|sha1)-([A-Za-z0-9+/=]+)/.exec(part);
    if (!m) continue;
    const hex = Buffer.from(m[2], "base64").toString("hex");
    out.push(`_cacache/content-v2/${m[1]}/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex.slice(4)}`);
  }
  return out;
}

/** npm's "nerf dart" for a registry URL: `//host[:port]/path/`, the key prefix of per-registry auth. */
export function nerfDart(registry: string): string {
  const u = new URL(registry);
  const path = u.pathname.endsWith("/") ? u.pathname : `${u.pathname}/`;
  return `//${u.host}${path}`;
}

/**
 * Auth for npm through the environment only: `npm_config_//host/:_authToken` (npm reads env keys
 * starting with `//` verbatim), scoped to the registry the token is for. Nothing lands in argv or on
 * disk. The token is registered with the redactor.
 */
export function npmAuthEnv(registry: string, token: string | undefined): Record<string, string> {
  if (!token) return {};
  redactor.add(token);
  return { [`npm_config_${nerfDart(registry)}:_authToken`]: token };
}

/** Lines of npm's output worth keeping to explain a failure. */
export function isNpmSignal(line: string): boolean {
  return /npm (error|ERR!) (code|404|errno|FetchError|request to)|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|E40[134]|Not Found - GET|could not be found/
    .test(line);
}

/** Turns a failed npm's output into the error the user sees, naming the registry or the package. */
export function classifyNpmFailure(lines: string[], registry: string): DependencyError {
  const reg = stripCredentials(registry);
  const text = lines.join("\n");
  if (/code E40[13]\b/.test(text)) {
    const status = /code E(40[13])/.exec(text)![1];
    return new DependencyError(
      `AuthenticationError: registry "${reg}" rejected the credentials (HTTP ${status}). ` +
        "Check NPM_TOKEN or the registry's auth in .npmrc",
      { ecosystem: "nodejs", kind: "auth" },
    );
  }
  const net = /code (ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|ENETUNREACH)/.exec(
    text,
  );
  if (net) {
    const url = /request to (\S+) failed/.exec(text)?.[1];
    const host = url ? new URL(url).origin + "/" : reg;
    return new DependencyError(
      `NetworkError: cannot reach registry "${stripCredentials(host)}" (${net[1]}). ` +
        "Check connectivity and NPM_CONFIG_REGISTRY / .npmrc",
      { ecosystem: "nodejs", kind: "network" },
    );
  }
  if (/code E404\b/.test(text)) {
    const spec = /'([^']+)' (?:is not in this registry|could not be found)/.exec(text)?.[1];
    const url = /Not Found - GET (\S+)/.exec(text)?.[1];
    const what = spec ?? (url ? decodeURIComponent(url.replace(/^https?:\/\/[^/]+\//, "")) : "a package");
    return new DependencyError(`package "${what}" was not found on registry "${reg}"`, {
      ecosystem: "nodejs",
      kind: "not_found",
    });
  }
  const errors = lines.filter((l) => /^npm (error|ERR!)/.test(l)).map((l) =>
    l.replace(/^npm (error|ERR!)\s*/, "")
  );
  const detail = (errors.length ? errors.slice(0, 4) : lines.slice(-3)).join(" ").slice(0, 500);
  return new DependencyError(`npm failed: ${detail}`, { ecosystem: "nodejs", kind: "failed" });
}
