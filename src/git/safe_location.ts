/**
 * The one validation module for what we hand to git from outside: repository URLs and paths, repository
 * names and ref names. Everything here is checked before any network use, because git reads a leading
 * `-` as an option (`ssh://-oProxyCommand=…` ran commands through ssh before git 2.14.1), runs programs
 * for `ext::` and reads file descriptors for `fd::`. Used by `archive create` (source), `archive restore`
 * (target, manifest refs) and `sync` (clone URLs from APIs, refs from servers, source vs target).
 */
import { UsageError } from "../errors.ts";

/** URL schemes git may be given. */
const SCHEMES = new Set(["http:", "https:", "ssh:", "git:", "file:"]);

/** Why `location` must not reach git, or undefined when it is acceptable. Pure, no I/O. */
export function locationProblem(location: string): string | undefined {
  const text = location;
  if (text.trim() === "") return "it is empty";
  if (hasControl(text)) return "it contains control characters";
  if (text.startsWith("-")) return `it starts with "-" (git would read it as an option)`;
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(text)) {
    const helper = text.slice(0, text.indexOf("::"));
    return `git transport helpers ("${helper}::") are not allowed`;
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return "it is not a valid URL";
    }
    if (!SCHEMES.has(url.protocol)) {
      return `scheme "${url.protocol}" is not supported. Use https, ssh, git or file`;
    }
    // new URL() lowercases and may percent-encode: look at the raw authority too.
    const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(text)?.[1] ?? "";
    const hostPart = authority.slice(authority.lastIndexOf("@") + 1);
    const userPart = authority.includes("@") ? authority.slice(0, authority.lastIndexOf("@")) : "";
    if (hostPart.startsWith("-") || url.hostname.startsWith("-")) {
      return `its host starts with "-" (an ssh option smuggled in as a host name)`;
    }
    if (userPart.startsWith("-")) return `its user name starts with "-" (an ssh option)`;
    const firstSegment = decodeURIComponentSafe(url.pathname).replace(/^\/+/, "");
    if (firstSegment.startsWith("-")) return `its path starts with "-"`;
    return undefined;
  }
  const scp = /^([^/\s]+@)?([^/\s:]+):(.*)$/.exec(text);
  if (scp && !text.startsWith("/") && !text.startsWith(".")) {
    const [, user = "", host, path] = scp;
    if (user.startsWith("-") || host.startsWith("-")) {
      return `its host or user starts with "-" (an ssh option)`;
    }
    if (path.startsWith("-")) return `its path starts with "-"`;
  }
  return undefined;
}

/**
 * Throws unless `location` is safe to hand to git (see {@link locationProblem}).
 * @throws {UsageError} `Cannot use <role> "<location>": <why>` (credentials masked).
 */
export function assertSafeLocation(location: string, role: string): void {
  const why = locationProblem(location);
  if (why) throw new UsageError(`Cannot use ${role} "${maskUserinfo(location)}": ${why}`);
}

/** True for names safe as a file or directory name: `[A-Za-z0-9._-]`, not led by `.` or `-`, ≤200 chars. */
export function isSafeRepositoryName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/.test(name);
}

/**
 * Why `ref` is not a branch or tag name we accept, or undefined: it must be `refs/heads/…` or
 * `refs/tags/…`, and no component may start with `-` or `.`, contain `..`, control characters, spaces or
 * any of `~^:?*[\`, or end with `.lock`.
 */
export function refNameProblem(ref: string): string | undefined {
  if (!/^refs\/(heads|tags)\/./.test(ref)) return "it is not under refs/heads/ or refs/tags/";
  if (ref.length > 1024) return "it is longer than 1024 characters";
  if (hasControl(ref) || /[ ~^:?*[\\]/.test(ref)) {
    return "it contains a space, a control character or one of ~^:?*[\\";
  }
  if (ref.includes("..") || ref.includes("@{") || ref.endsWith("/") || ref.includes("//")) {
    return `it contains "..", "@{" or an empty component`;
  }
  for (const part of ref.split("/")) {
    if (part.startsWith("-")) return `a component starts with "-" ("${part}")`;
    if (part.startsWith(".") || part.endsWith(".lock") || part.endsWith(".")) {
      return `a component starts or ends with "." or ends with ".lock" ("${part}")`;
    }
  }
  return undefined;
}

/**
 * Throws when any of `refs` is not a ref name we accept (see {@link refNameProblem}).
 * @throws {UsageError} naming the ref, where it came from and why.
 */
export function assertSafeRefs(refs: Iterable<string>, where: string): void {
  for (const ref of refs) {
    const why = refNameProblem(ref);
    if (why) {
      throw new UsageError(`Cannot use ref ${JSON.stringify(ref)} from ${where}: ${why}. Rename it there`);
    }
  }
}

/**
 * A comparable form of a repository location: scheme and host lowercased, default ports, user info,
 * trailing slashes and a trailing `.git` removed; local paths (and file:// URLs) as absolute paths.
 */
export function normalizeLocation(location: string): string {
  const text = location.trim();
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text)) {
    try {
      const u = new URL(text);
      if (u.protocol === "file:") return stripGit(decodeURIComponentSafe(u.pathname));
      const defaultPort = { "http:": "80", "https:": "443", "ssh:": "22", "git:": "9418" }[u.protocol];
      const port = u.port && u.port !== defaultPort ? `:${u.port}` : "";
      const scheme = u.protocol === "http:" ? "https:" : u.protocol;
      return `${scheme}//${u.hostname.toLowerCase()}${port}${stripGit(decodeURIComponentSafe(u.pathname))}`;
    } catch {
      return text;
    }
  }
  const scp = /^(?:[^/\s]+@)?([^/\s:]+):(.*)$/.exec(text);
  if (scp && !text.startsWith("/")) return `ssh://${scp[1].toLowerCase()}${stripGit("/" + scp[2])}`;
  return stripGit(text);
}

/** True when both locations name the same repository (see {@link normalizeLocation}). */
export function sameLocation(a: string, b: string): boolean {
  return normalizeLocation(a) === normalizeLocation(b);
}

/**
 * Throws when the source and the target are the same repository: pushing a repository into itself
 * could only lose data (with prune) or do nothing.
 * @throws {UsageError}.
 */
export function assertDistinctLocations(source: string, target: string, what = "sync"): void {
  if (sameLocation(source, target)) {
    throw new UsageError(
      `Cannot ${what}: the source and the target are the same repository ("${maskUserinfo(target)}"). ` +
        "Point the target somewhere else",
    );
  }
}

function stripGit(path: string): string {
  const p = path.replace(/\/+$/, "").replace(/\/+/g, "/");
  return p.replace(/\.git$/i, "").replace(/\/+$/, "") || "/";
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `scheme://user:pw@host/…` → `scheme://***@host/…`. */
export function maskUserinfo(text: string): string {
  return text.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@]*@/, "$1***@");
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
