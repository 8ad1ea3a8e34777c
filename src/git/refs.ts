import { git, type GitAuth } from "./git.ts";
import type { ModuleLogger } from "../log/logger.ts";

/** Refs an archive carries: branches and tags only (never refs/pull, refs/merge-requests, ...). */
export const CARRIED_REF_PREFIXES = ["refs/heads/", "refs/tags/"] as const;

/** True for `refs/heads/*` and `refs/tags/*`. */
export function isCarriedRef(name: string): boolean {
  return CARRIED_REF_PREFIXES.some((p) => name.startsWith(p) && name.length > p.length);
}

/**
 * Parses `<object id><space or tab><refname>` lines (for-each-ref, ls-remote, bundle headers) into
 * a map refname -> object id. Peeled `^{}` entries and lines that are not a ref are dropped.
 */
export function parseRefLines(text: string): Record<string, string> {
  const refs: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = line.match(/^([0-9a-f]{40}(?:[0-9a-f]{24})?)[ \t](\S.*)$/);
    if (!m || m[2].endsWith("^{}")) continue;
    refs[m[2]] = m[1];
  }
  return refs;
}

/** Options of {@link listRefs}. */
export interface ListRefsOptions {
  /** Ref patterns. Default `refs/heads/` and `refs/tags/`. */
  patterns?: string[];
  logger?: ModuleLogger;
}

/** The refs of the local repository at `gitDir` (bare or `.git`), refname -> object id, sorted. */
export async function listRefs(
  gitDir: string,
  options: ListRefsOptions = {},
): Promise<Record<string, string>> {
  const patterns = options.patterns ?? ["refs/heads/", "refs/tags/"];
  const r = await git(["for-each-ref", "--format=%(objectname) %(refname)", ...patterns], {
    cwd: gitDir,
    logger: options.logger,
  });
  return sortRefs(parseRefLines(r.stdout));
}

/** Options of {@link lsRemote} and {@link remoteDefaultBranch}. */
export interface RemoteOptions {
  auth?: GitAuth;
  logger?: ModuleLogger;
  /** Working directory (any; a repository is not needed). */
  cwd?: string;
}

/**
 * Branches and tags of a remote, refname -> object id (tags: the tag object, not the peeled commit).
 * @throws AuthError when the token is rejected, TransientError for network faults.
 */
export async function lsRemote(url: string, options: RemoteOptions = {}): Promise<Record<string, string>> {
  const r = await git(["ls-remote", "--refs", url, "refs/heads/*", "refs/tags/*"], options);
  const refs = parseRefLines(r.stdout);
  for (const k of Object.keys(refs)) if (!isCarriedRef(k)) delete refs[k];
  return sortRefs(refs);
}

/** The branch the remote's HEAD points at (`main`), or null for an empty or detached remote. */
export async function remoteDefaultBranch(url: string, options: RemoteOptions = {}): Promise<string | null> {
  const r = await git(["ls-remote", "--symref", url, "HEAD"], options);
  const m = r.stdout.match(/^ref: refs\/heads\/(\S.*)\tHEAD$/m);
  return m ? m[1] : null;
}

/** A ref map with keys in byte order, so manifests and comparisons are stable. */
export function sortRefs(refs: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(refs).sort(compareBytes)) out[k] = refs[k];
  return out;
}

/** Compares strings by their UTF-8 bytes (git's order), not UTF-16 code units. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Differences between two ref maps: refs only in `a`, only in `b`, and with different ids. */
export function diffRefs(
  a: Record<string, string>,
  b: Record<string, string>,
): { onlyA: string[]; onlyB: string[]; changed: string[] } {
  const onlyA = Object.keys(a).filter((k) => !(k in b));
  const onlyB = Object.keys(b).filter((k) => !(k in a));
  const changed = Object.keys(a).filter((k) => k in b && a[k] !== b[k]);
  return { onlyA, onlyB, changed };
}
