import { git } from "../git/git.ts";
import { compareBytes } from "../git/refs.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { loadCommitGraph, tallyAll, tallyFrom } from "./_commit_graph.ts";
import { gitRecords } from "./_git_stream.ts";
import type { ReviewAuthor, ReviewData, ReviewRef } from "./review_schema.ts";

/** Caps of the collector; totals stay exact, lists are cut. */
export interface HistoryLimits {
  /** Refs whose commits and authors are counted one by one (default branch, branches, tags). Default 100. */
  refsDetailed: number;
  /** Authors listed per ref. Default 20. */
  authorsPerRef: number;
  /** Authors listed for the whole transfer (and new authors). Default 500. */
  authors: number;
}

/** Default {@link HistoryLimits}. */
export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { refsDetailed: 100, authorsPerRef: 20, authors: 500 };

/** Options of {@link collectHistory}. */
export interface CollectHistoryOptions {
  /** Incremental: the base archive's id and ref tips (its manifest's `refs`). Absent for a full archive. */
  base?: { archiveId: string; refs: Record<string, string> };
  /** Listed first among the refs. */
  defaultBranch?: string | null;
  limits?: Partial<HistoryLimits>;
  logger?: ModuleLogger;
  signal?: AbortSignal;
}

/** What {@link collectHistory} found, plus the revision arguments the object scans reuse. */
export interface HistoryResult {
  refs: ReviewRef[];
  history: ReviewData["history"];
  base: ReviewData["base"];
  /** `git rev-list --stdin` lines selecting every new commit: range tips and `^<base tip>` exclusions. */
  revisions: string[];
  /**
   * The same for objects: every added, updated or rewritten ref's tip as carried (a tag pointing at a
   * blob or tree brings that object too) and the base exclusions.
   */
  objectRevisions: string[];
}

/**
 * Describes how each ref crosses (old → new, change kind, commit range) and who wrote the commits:
 * per ref the commit count and authors of its range, as `git log <range>` counts them (for the first
 * `refsDetailed` refs), and the same for everything new (`<tips> --not <base tips>`); for an
 * incremental, authors absent from the base's history are "new authors". One `git log` pass reads
 * every new commit with its parents; ranges of the form "tip minus the base" are counted from it in
 * memory, `from..to` ranges (fast-forwards of an incremental) with one `git log` each. Base tips missing from the source (force-pushed away) are skipped as
 * exclusions and their refs marked `rewritten`.
 * @throws GitError when git fails.
 */
export async function collectHistory(
  gitDir: string,
  refs: Record<string, string>,
  options: CollectHistoryOptions = {},
): Promise<HistoryResult> {
  const limits = { ...DEFAULT_HISTORY_LIMITS, ...options.limits };
  const baseRefs = options.base?.refs ?? {};
  const ctx = { cwd: gitDir, logger: options.logger, signal: options.signal };
  const { commitOf, exists } = await peelCommits(
    gitDir,
    [...Object.values(refs), ...Object.values(baseRefs)],
    ctx,
  );
  const excludes = [...new Set(Object.values(baseRefs).map((o) => commitOf.get(o)).filter(isString))].sort();

  const names = [...new Set([...Object.keys(refs), ...Object.keys(baseRefs)])].sort(
    refOrder(options.defaultBranch),
  );
  const out: ReviewRef[] = [];
  for (const name of names) {
    const oldTip = baseRefs[name] ?? null;
    const newTip = refs[name] ?? null;
    const oldC = oldTip ? commitOf.get(oldTip) ?? null : null;
    const newC = newTip ? commitOf.get(newTip) ?? null : null;
    let change: ReviewRef["change"];
    let range: ReviewRef["range"] = null;
    if (newTip === null) change = "deleted";
    else if (oldTip === null) {
      change = "added";
      if (newC) range = { from: null, to: newC, excludes_base: options.base !== undefined };
    } else if (oldTip === newTip) change = "unchanged";
    else if (oldC && newC && await isAncestor(oldC, newC, ctx)) {
      change = "updated";
      range = { from: oldC, to: newC, excludes_base: false };
    } else {
      change = "rewritten";
      if (newC) range = { from: null, to: newC, excludes_base: true };
    }
    out.push({
      name: clip(name),
      kind: name.startsWith("refs/heads/") ? "branch" : name.startsWith("refs/tags/") ? "tag" : "other",
      change,
      old: oldTip,
      new: newTip,
      range,
      commits: range ? null : 0,
      authors: [],
      authors_total: 0,
    });
  }
  const tips = [...new Set(out.flatMap((r) => (r.range ? [r.range.to] : [])))].sort();
  const revisions = [...tips, ...excludes.map((e) => `^${e}`)];
  // One pass over every new commit; a range that is "its tip minus the base" (all of them in a full
  // archive) is then counted in memory. Only `from..to` ranges (fast-forwards) still ask git.
  const graph = tips.length ? await loadCommitGraph(revisions, { ...ctx, clip }) : null;
  let detailed = 0;
  for (const ref of out) {
    if (!ref.range || detailed >= limits.refsDetailed) continue;
    detailed++;
    const r = ref.range;
    const inGraph = graph && r.from === null && (r.excludes_base || !excludes.length)
      ? graph.indexOf(r.to)
      : -1;
    const tally = inGraph >= 0 ? tallyFrom(graph!, inGraph) : await authorsOf([
      r.to,
      ...(r.from ? [`^${r.from}`] : []),
      ...(r.excludes_base ? excludes.map((e) => `^${e}`) : []),
    ], ctx);
    ref.commits = tally.commits;
    ref.authors = topAuthors(tally.authors, limits.authorsPerRef);
    ref.authors_total = tally.authors.size;
  }

  const all = graph ? tallyAll(graph) : tips.length ? await authorsOf(revisions, ctx) : {
    commits: 0,
    authors: new Map<string, ReviewAuthor>(),
  };
  let newAuthors: ReviewAuthor[] | null = null;
  let newAuthorsTotal = 0;
  if (options.base) {
    const known = excludes.length ? (await authorsOf(excludes, ctx)).authors : new Map();
    const fresh = new Map([...all.authors].filter(([key]) => !known.has(key)));
    newAuthors = topAuthors(fresh, limits.authors);
    newAuthorsTotal = fresh.size;
  }
  const baseTips = new Set(Object.values(baseRefs));
  const moved = new Set<ReviewRef["change"]>(["added", "updated", "rewritten"]);
  const objectTips = [...new Set(out.filter((r) => moved.has(r.change) && r.new).map((r) => r.new!))].sort();
  return {
    refs: out,
    history: {
      commits: all.commits,
      authors: topAuthors(all.authors, limits.authors),
      authors_total: all.authors.size,
      new_authors: newAuthors,
      new_authors_total: newAuthorsTotal,
    },
    base: options.base
      ? {
        archive_id: clip(options.base.archiveId),
        tips_found: [...baseTips].filter((t) => exists.has(t)).length,
        tips_missing: [...baseTips].filter((t) => !exists.has(t)).length,
      }
      : null,
    revisions: tips.length ? revisions : [],
    objectRevisions: objectTips.length ? [...objectTips, ...excludes.map((e) => `^${e}`)] : [],
  };
}

type Ctx = { cwd: string; logger?: ModuleLogger; signal?: AbortSignal };

/** Which object ids exist, and the commit each peels to (for those that peel to one). */
async function peelCommits(
  gitDir: string,
  oids: string[],
  ctx: Ctx,
): Promise<{ commitOf: Map<string, string>; exists: Set<string> }> {
  const unique = [...new Set(oids)];
  const commitOf = new Map<string, string>();
  const exists = new Set<string>();
  if (!unique.length) return { commitOf, exists };
  const r = await git(["cat-file", "--batch-check=%(objectname) %(objecttype)"], {
    ...ctx,
    cwd: gitDir,
    input: unique.map((o) => `${o}\n${o}^{commit}\n`).join(""),
  });
  const lines = r.stdout.split("\n");
  unique.forEach((o, i) => {
    if (/^[0-9a-f]{40,64} (commit|tree|blob|tag)$/.test(lines[2 * i] ?? "")) exists.add(o);
    const m = /^([0-9a-f]{40,64}) commit$/.exec(lines[2 * i + 1] ?? "");
    if (m) commitOf.set(o, m[1]);
  });
  return { commitOf, exists };
}

async function isAncestor(ancestor: string, descendant: string, ctx: Ctx): Promise<boolean> {
  const r = await git(["merge-base", "--is-ancestor", ancestor, descendant], { ...ctx, okCodes: [1] });
  return r.code === 0;
}

async function authorsOf(
  revisions: string[],
  ctx: Ctx,
): Promise<{ commits: number; authors: Map<string, ReviewAuthor> }> {
  const authors = new Map<string, ReviewAuthor>();
  let commits = 0;
  await gitRecords(["log", "--format=%aN%x00%aE", "--no-show-signature", "--stdin"], (line) => {
    if (!line) return;
    commits++;
    const at = line.indexOf("\0");
    const name = clip(at < 0 ? line : line.slice(0, at));
    const email = clip(at < 0 ? "" : line.slice(at + 1));
    const key = `${name}\0${email}`;
    const a = authors.get(key);
    if (a) a.commits++;
    else authors.set(key, { name, email, commits: 1 });
  }, { ...ctx, input: revisions });
  return { commits, authors };
}

function topAuthors(authors: Map<string, ReviewAuthor>, limit: number): ReviewAuthor[] {
  return [...authors.values()]
    .sort((a, b) => b.commits - a.commits || compareBytes(a.name, b.name) || compareBytes(a.email, b.email))
    .slice(0, limit);
}

/** Default branch first, then branches, tags, other refs; byte order within each. */
function refOrder(defaultBranch: string | null | undefined): (a: string, b: string) => number {
  const rank = (n: string) =>
    defaultBranch && n === `refs/heads/${defaultBranch}`
      ? 0
      : n.startsWith("refs/heads/")
      ? 1
      : n.startsWith("refs/tags/")
      ? 2
      : 3;
  return (a, b) => rank(a) - rank(b) || compareBytes(a, b);
}

/** Cuts attacker-sized strings to the schema's 4096 characters. */
export function clip(s: string): string {
  return s.length > 4096 ? s.slice(0, 4095) + "…" : s;
}

function isString(x: string | undefined): x is string {
  return typeof x === "string";
}
