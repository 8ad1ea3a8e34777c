import { existsSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { UsageError } from "../errors.ts";
import { isSafeRepositoryName, locationProblem } from "../git/safe_location.ts";

export { isSafeRepositoryName };

/** A repository source, as `archive create` understands it. */
export interface RepositorySource {
  /** What git is given: the URL, or the absolute local path. */
  gitUrl: string;
  /** What the manifest records: the same, never with credentials. */
  recordedUrl: string;
  /** True for a local directory. */
  local: boolean;
  /** Repository name for the archive file and the restored directory, e.g. `backend-api`. */
  name: string;
}

/** A push target: URL (http, https, ssh, git, file) or a local repository path. */
export interface RepositoryTarget {
  /** What git is given. */
  gitUrl: string;
  /** What is shown and logged (never with credentials). */
  displayUrl: string;
  local: boolean;
}

type Role = "source" | "target";
const TOKEN_HINT: Record<Role, string> = {
  source: "SOURCE_TOKEN (or GITLAB_TOKEN/GITHUB_TOKEN for those hosts)",
  target: "TARGET_TOKEN",
};
const MISSING: Record<Role, string> = {
  source: "Cannot create archive: no source repository given. Pass SOURCE or set SOURCE_REPO_URL",
  target: "Cannot restore: the target is empty. Pass --target or set TARGET_REPO_URL",
};

/**
 * Resolves `source`: a URL (http, https, ssh, git, file), an scp-style `user@host:path`, or a local
 * directory (relative to `options.cwd`, default the process's). URLs with a password, or with a user
 * name over http(s), are refused so that a credential is never taken from argv nor recorded; tokens
 * travel through the environment instead. Option-like (`-x`) and transport-helper (`ext::`) sources
 * are refused before git sees them.
 * @throws UsageError naming what is wrong and what to do.
 */
export function resolveSource(
  source: string,
  options: { cwd?: string; name?: string } = {},
): RepositorySource {
  const loc = parseLocation(source, "source", options.cwd);
  const name = options.name ?? repositoryName(loc.url);
  if (!isSafeRepositoryName(name)) {
    throw new UsageError(
      `Cannot use repository name "${name}": use letters, digits, ".", "_" and "-", not starting with "." or "-"`,
    );
  }
  return { gitUrl: loc.url, recordedUrl: loc.url, local: loc.local, name };
}

/**
 * Resolves a restore target with the same rules as {@link resolveSource}; a local path must be an
 * existing directory (a bare repository, the "internal server" of an offline site).
 * @throws UsageError.
 */
export function resolveTarget(target: string, options: { cwd?: string } = {}): RepositoryTarget {
  const loc = parseLocation(target, "target", options.cwd);
  return { gitUrl: loc.url, displayUrl: loc.url, local: loc.local };
}

function parseLocation(raw: string, role: Role, cwd?: string): { url: string; local: boolean } {
  const text = raw.trim();
  const what = `Cannot use ${role} "${redactUserinfo(text)}"`;
  if (text === "") throw new UsageError(MISSING[role]);
  const problem = locationProblem(text);
  if (problem) throw new UsageError(`${what}: ${problem}. Give a URL or a path`);
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new UsageError(`${what}: it is not a valid URL`);
    }
    if (url.password || (url.username && (url.protocol === "http:" || url.protocol === "https:"))) {
      throw new UsageError(
        `${what}: the URL contains credentials. Remove them and pass the token in ${TOKEN_HINT[role]}`,
      );
    }
    if (url.protocol !== "file:") return { url: text, local: false };
    return localDirectory(decodeURIComponent(url.pathname), what, cwd);
  }
  if (/^[^/\s]+@[^/\s:]+:/.test(text) && !existsSync(text)) return { url: text, local: false };
  return localDirectory(text, what, cwd);
}

function localDirectory(path: string, what: string, cwd?: string): { url: string; local: boolean } {
  const abs = resolve(cwd ?? process.cwd(), path);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new UsageError(
      `${what}: it is neither a URL nor an existing directory. Give a clone URL or a path`,
    );
  }
  return { url: abs, local: true };
}

/** The repository name a URL or path implies: its last segment without `.git`, made file-name safe. */
export function repositoryName(urlOrPath: string): string {
  const trimmed = urlOrPath.replace(/[/\\]+$/, "").replace(/\/\.git$/, "");
  let last = basename(trimmed.replace(/^[^/]*@[^/:]+:/, "/"));
  last = last.replace(/\.git$/, "").replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[.-]+/, "");
  return last === "" ? "repository" : last;
}

function redactUserinfo(text: string): string {
  return text.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@]*@/, "$1***@");
}
