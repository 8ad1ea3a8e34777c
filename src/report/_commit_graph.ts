/**
 * The commits of one `git log` pass held compactly (parents and authors as indices), so that the
 * commits and authors reachable from each of many tips are counted in memory instead of one history
 * walk per tip.
 */
import type { ModuleLogger } from "../log/logger.ts";
import { gitRecords } from "./_git_stream.ts";
import type { ReviewAuthor } from "./review_schema.ts";

/** Commits, their parents and authors (see {@link loadCommitGraph}). */
export interface CommitGraph {
  /** Number of commits. */
  size: number;
  /** Distinct authors (name, e-mail, clipped), indexed by `authorOf`. */
  authors: { name: string; email: string }[];
  /** Author index of each commit. */
  authorOf: Int32Array;
  /** Parents of commit i: `parents[parentStart[i] .. parentStart[i + 1])`; parents outside the graph are left out. */
  parentStart: Int32Array;
  parents: Int32Array;
  /** Index of a commit id, or -1 when the pass did not list it. */
  indexOf(oid: string): number;
}

/** Options of {@link loadCommitGraph}. */
export interface LoadCommitGraphOptions {
  cwd: string;
  /** Cuts attacker-sized author strings. */
  clip: (s: string) => string;
  logger?: ModuleLogger;
  signal?: AbortSignal;
}

/**
 * Reads every commit `git log --stdin` selects with `revisions` (tips and `^exclusions`), as
 * `git log` counts them (author name and e-mail after mailmap). Commit ids are keyed by their first
 * 52 bits; two listed commits sharing them (about one chance in 10^4 at a million commits) make it
 * return null, and the caller counts with git instead.
 * @throws GitError when git fails.
 */
export async function loadCommitGraph(
  revisions: string[],
  options: LoadCommitGraphOptions,
): Promise<CommitGraph | null> {
  const index = new Map<number, number>();
  const authorIndex = new Map<string, number>();
  const authors: { name: string; email: string }[] = [];
  let authorOf = new Int32Array(1024);
  let parentStart = new Int32Array(1025);
  let parentKeys = new Float64Array(1024);
  let size = 0;
  let links = 0;
  let collision = false;
  await gitRecords(["log", "--format=%H %P%x00%aN%x00%aE", "--no-show-signature", "--stdin"], (line) => {
    if (!line || collision) return;
    const nul = line.indexOf("\0");
    const ids = (nul < 0 ? line : line.slice(0, nul)).split(" ").filter(Boolean);
    const rest = nul < 0 ? "" : line.slice(nul + 1);
    const at = rest.indexOf("\0");
    const name = options.clip(at < 0 ? rest : rest.slice(0, at));
    const email = options.clip(at < 0 ? "" : rest.slice(at + 1));
    const key = keyOf(ids[0]);
    if (index.has(key)) {
      collision = true;
      return;
    }
    if (size === authorOf.length) {
      authorOf = grow(authorOf, size * 2);
      parentStart = grow(parentStart, size * 2 + 1);
    }
    index.set(key, size);
    const who = `${name}\0${email}`;
    let a = authorIndex.get(who);
    if (a === undefined) {
      a = authors.length;
      authorIndex.set(who, a);
      authors.push({ name, email });
    }
    authorOf[size] = a;
    for (let p = 1; p < ids.length; p++) {
      if (links === parentKeys.length) parentKeys = grow(parentKeys, links * 2);
      parentKeys[links++] = keyOf(ids[p]);
    }
    parentStart[++size] = links;
  }, { cwd: options.cwd, logger: options.logger, signal: options.signal, input: revisions });
  if (collision) return null;
  // Parents the pass did not list (excluded, or cut by a shallow clone) are dropped.
  const parents = new Int32Array(links);
  const start = new Int32Array(size + 1);
  let n = 0;
  for (let i = 0; i < size; i++) {
    start[i] = n;
    for (let j = parentStart[i]; j < parentStart[i + 1]; j++) {
      const p = index.get(parentKeys[j]);
      if (p !== undefined) parents[n++] = p;
    }
  }
  start[size] = n;
  return {
    size,
    authors,
    authorOf: authorOf.subarray(0, size),
    parentStart: start,
    parents: parents.subarray(0, n),
    indexOf: (oid) => index.get(keyOf(oid)) ?? -1,
  };
}

/** Commits reachable from commit index `tip` in `graph` (itself included), and their authors. */
export function tallyFrom(
  graph: CommitGraph,
  tip: number,
): { commits: number; authors: Map<string, ReviewAuthor> } {
  const seen = new Uint8Array(graph.size);
  const counts = new Int32Array(graph.authors.length);
  const stack = new Int32Array(graph.size);
  let top = 0;
  let commits = 0;
  seen[tip] = 1;
  stack[top++] = tip;
  while (top > 0) {
    const c = stack[--top];
    commits++;
    counts[graph.authorOf[c]]++;
    for (let j = graph.parentStart[c]; j < graph.parentStart[c + 1]; j++) {
      const p = graph.parents[j];
      if (!seen[p]) {
        seen[p] = 1;
        stack[top++] = p;
      }
    }
  }
  const authors = new Map<string, ReviewAuthor>();
  counts.forEach((n, a) => {
    if (!n) return;
    const { name, email } = graph.authors[a];
    authors.set(`${name}\0${email}`, { name, email, commits: n });
  });
  return { commits, authors };
}

/** Every commit of the graph and its authors. */
export function tallyAll(graph: CommitGraph): { commits: number; authors: Map<string, ReviewAuthor> } {
  const counts = new Int32Array(graph.authors.length);
  for (let i = 0; i < graph.size; i++) counts[graph.authorOf[i]]++;
  const authors = new Map<string, ReviewAuthor>();
  counts.forEach((n, a) => {
    const { name, email } = graph.authors[a];
    authors.set(`${name}\0${email}`, { name, email, commits: n });
  });
  return { commits: graph.size, authors };
}

/** The first 52 bits of a hex object id: exact in a double. */
function keyOf(oid: string): number {
  return parseInt(oid.slice(0, 13), 16);
}

function grow<T extends Int32Array | Float64Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}
