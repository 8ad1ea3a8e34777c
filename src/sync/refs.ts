/**
 * Ref maps: the branches (`refs/heads/*`) and tags (`refs/tags/*`) of a repository, parsed from
 * `git ls-remote` or `git for-each-ref`. Nothing else is ever synced: `refs/merge-requests/*`,
 * `refs/pull/*`, `refs/keep-around/*`, `refs/pipelines/*`, notes and `HEAD` are dropped here.
 */

/** One ref's tip: `sha` is what the ref points to (a tag object for annotated tags), `commit` the peeled commit. */
export interface RefTip {
  sha: string;
  commit: string;
}

/** refname → tip, branches and tags only. */
export type RefMap = Map<string, RefTip>;

/** True for the refs we sync. */
export function isSyncedRef(ref: string): boolean {
  return /^refs\/(heads|tags)\/./.test(ref) && !ref.endsWith("^{}");
}

/** Parses `git ls-remote` output (`<sha>\t<ref>`, with `^{}` peel lines for annotated tags). */
export function parseLsRemote(text: string): RefMap {
  const refs: RefMap = new Map();
  const peeled = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]{40,64})\t(\S+)$/.exec(line.trim());
    if (!m) continue;
    const [, sha, ref] = m;
    if (ref.endsWith("^{}")) peeled.set(ref.slice(0, -3), sha);
    else if (isSyncedRef(ref)) refs.set(ref, { sha, commit: sha });
  }
  for (const [ref, commit] of peeled) {
    const tip = refs.get(ref);
    if (tip) tip.commit = commit;
  }
  return refs;
}

/** Parses `git for-each-ref --format='%(objectname) %(*objectname) %(refname)'`. */
export function parseForEachRef(text: string): RefMap {
  const refs: RefMap = new Map();
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]{40,64}) ([0-9a-f]{40,64})? ?(\S+)$/.exec(line.trim());
    if (!m || !isSyncedRef(m[3])) continue;
    refs.set(m[3], { sha: m[1], commit: m[2] ?? m[1] });
  }
  return refs;
}

/** True when both maps hold the same refs at the same objects. */
export function sameRefs(a: RefMap, b: RefMap): boolean {
  if (a.size !== b.size) return false;
  for (const [ref, tip] of a) if (b.get(ref)?.sha !== tip.sha) return false;
  return true;
}

/**
 * True when the target needs nothing: every source ref is on the target at the same object, and —
 * only when pruning — the target has no ref the source lacks.
 */
export function targetUpToDate(source: RefMap, target: RefMap, prune = false): boolean {
  for (const [ref, tip] of source) if (target.get(ref)?.sha !== tip.sha) return false;
  if (prune) { for (const ref of target.keys()) if (!source.has(ref)) return false; }
  return true;
}

/** "branch" or "tag". */
export function refKind(ref: string): "branch" | "tag" {
  return ref.startsWith("refs/tags/") ? "tag" : "branch";
}

/** `refs/heads/main` → `main`, `refs/tags/v1` → `v1`. */
export function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, "");
}
