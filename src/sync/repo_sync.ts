import { AuthError, TransientError } from "../errors.ts";
import { classifyGitFailure, git, type GitAuth, type GitOptions } from "../git/git.ts";
import { assertDistinctLocations, assertSafeRefs } from "../git/safe_location.ts";
import type { ModuleLogger } from "../log/logger.ts";
import type { RemoteRepository } from "../platforms/types.ts";
import type { MirrorCache } from "./mirror.ts";
import { planRefs, type RefPlanEntry, refsNeedingAncestry } from "./plan.ts";
import { type RefMap, sameRefs, shortRef, targetUpToDate } from "./refs.ts";
import { listRemoteRefs } from "./remote_refs.ts";
import type { Destination, SyncTarget } from "./target.ts";
import type { TargetOutcome } from "./types.ts";

/** One repository to sync. */
export interface RepoJob {
  source: RemoteRepository;
  /** Source host, for the cache path and messages. */
  sourceHost: string;
  /** Names the source token for auth messages: `source GitLab at gitlab.com (GITLAB_TOKEN, needs …)`. */
  sourceWho: string;
  sourceAuth: GitAuth;
  /** Target name (flat). */
  name: string;
}

/** What one attempt needs. */
export interface RepoSyncContext {
  targets: readonly SyncTarget[];
  cache: MirrorCache;
  dryRun: boolean;
  /** Deadline of this attempt (epoch ms); every git process is killed when it passes. */
  deadline: number;
  logger?: ModuleLogger;
  /** Aborts the attempt: every git process it started is killed with its process group. */
  signal?: AbortSignal;
}

/** One attempt's outcome. */
export interface AttemptResult {
  fetched: boolean;
  targets: TargetOutcome[];
}

/**
 * One attempt at syncing one repository: `ls-remote` both sides; when every target already has
 * every source branch and tag, stop (no fetch, no push). Otherwise bring the mirror up to date (only
 * when its refs differ from the source's; a repository never seen before that a target lacks is
 * cloned straight away, without the source `ls-remote`), then per target: create the repository if missing, plan
 * each ref ({@link planRefs}), count the commits new to the target and push branches and tags —
 * never forced. Throws TransientError / AuthError / RepoClonerError; the caller retries.
 */
export async function syncRepositoryOnce(job: RepoJob, ctx: RepoSyncContext): Promise<AttemptResult> {
  for (const target of ctx.targets) {
    assertDistinctLocations(
      job.source.cloneUrl,
      target.destination(job.name).url,
      `sync "${job.source.fullPath}"`,
    );
  }
  const t = (): number => {
    const left = ctx.deadline - Date.now();
    if (left <= 0) throw new TransientError(`Network timeout: "${job.source.fullPath}" ran out of time`);
    return left;
  };
  const gitOpts = (auth?: GitAuth, cwd?: string) => ({
    auth,
    cwd,
    timeoutMs: t(),
    logger: ctx.logger,
    signal: ctx.signal,
  });
  const dir = ctx.cache.pathFor(job.sourceHost, job.source.fullPath);
  const pull = async () => {
    await ctx.cache.update(dir, job.source.cloneUrl, gitOpts(job.sourceAuth)).catch((e) => {
      throw withWho(e, job.sourceWho);
    });
    return await ctx.cache.refs(dir, gitOpts());
  };
  // First sight of a repository that some target lacks: the clone is needed whatever ls-remote
  // would say, so skip it and let the fresh mirror's refs stand for the source's.
  const firstClone = !ctx.cache.has(dir) && ctx.targets.some((x) => !x.destination(job.name).exists);
  let local = firstClone ? await pull() : await ctx.cache.refs(dir, gitOpts());
  let fetched = firstClone;
  const sourceRefs = firstClone
    ? local
    : await lsRemote(job.source.cloneUrl, gitOpts(job.sourceAuth), job.sourceWho);
  assertSafeRefs(sourceRefs.keys(), `the source of "${job.source.fullPath}"`);
  const states: Array<{ target: SyncTarget; dest: Destination; refs: RefMap }> = [];
  for (const target of ctx.targets) {
    const dest = target.destination(job.name);
    const refs = dest.exists ? await lsRemote(dest.url, gitOpts(dest.auth), target.who) : new Map();
    states.push({ target, dest, refs });
  }
  const needy = states.filter((s) => !s.dest.exists || !targetUpToDate(sourceRefs, s.refs, s.target.prune));
  const outcome = (s: (typeof states)[number]): TargetOutcome => ({
    target: s.target.label,
    target_url: s.dest.url,
    status: ctx.dryRun ? "planned" : "success",
    created: false,
    up_to_date: !needy.includes(s),
    commits_synced: 0,
    branches_synced: 0,
    tags_synced: 0,
    refs_deleted: 0,
    diverged: [],
    plan: [],
  });
  if (needy.length === 0) return { fetched, targets: states.map(outcome) };
  if (!fetched && !sameRefs(local, sourceRefs)) {
    local = await pull();
    fetched = true;
  }

  const outcomes: TargetOutcome[] = [];
  for (const s of states) {
    const out = outcome(s);
    outcomes.push(out);
    if (needy.includes(s)) await syncTarget(job, { ...s, out, local, dir }, { ...ctx, gitOpts });
  }
  return { fetched, targets: outcomes };
}

interface TargetWork {
  target: SyncTarget;
  dest: Destination;
  /** Target refs from `ls-remote`. */
  refs: RefMap;
  /** Mirror refs (the source, fetched). */
  local: RefMap;
  dir: string;
  out: TargetOutcome;
}

/** Creates (when missing), plans, counts and pushes one target; fills `w.out`. */
async function syncTarget(
  job: RepoJob,
  w: TargetWork,
  ctx: RepoSyncContext & { gitOpts: (auth?: GitAuth, cwd?: string) => GitOptions },
): Promise<void> {
  const { out, local, dir } = w;
  const inMirror = ctx.gitOpts(undefined, dir);
  let dest = w.dest;
  if (!dest.exists) {
    out.created = true;
    if (!ctx.dryRun) dest = await w.target.ensure(job.name, job.source);
    out.target_url = dest.url;
  }
  const present = await presentObjects([...w.refs.values()].map((r) => r.commit), inMirror);
  const ancestry = new Map<string, boolean>();
  for (const ref of refsNeedingAncestry(local, w.refs)) {
    const tc = w.refs.get(ref)!.commit;
    if (!present.has(tc)) {
      ancestry.set(ref, false); // not in the source's history, so not an ancestor of its tip
      continue;
    }
    const r = await git(["merge-base", "--is-ancestor", tc, local.get(ref)!.commit], {
      ...ctx.gitOpts(undefined, dir),
      okCodes: [1],
    });
    ancestry.set(ref, r.code === 0);
  }
  const plan = planRefs({ source: local, target: w.refs, ancestry, prune: w.target.prune });
  out.plan = ctx.dryRun ? plan.entries : plan.entries.filter((e) => e.action !== "up-to-date");
  out.diverged = plan.diverged.map((e) => shortRef(e.ref));
  const tipsOf = (entries: RefPlanEntry[]) => entries.map((e) => local.get(e.ref)!.commit);
  out.commits_synced = await countNewCommits(tipsOf(plan.push), [...present], inMirror);
  let pushed = plan.push;
  if (!ctx.dryRun && (plan.push.length > 0 || plan.delete.length > 0)) {
    const rejected = await push(dest, [...plan.push, ...plan.delete], {
      ...ctx.gitOpts(dest.auth, dir),
      who: w.target.who,
    });
    if (rejected.size > 0) {
      pushed = plan.push.filter((e) => !rejected.has(e.ref));
      for (const ref of rejected) out.diverged.push(shortRef(ref));
      out.commits_synced = await countNewCommits(tipsOf(pushed), [...present], ctx.gitOpts(undefined, dir));
    }
  }
  out.branches_synced = pushed.filter((e) => e.kind === "branch").length;
  out.tags_synced = pushed.filter((e) => e.kind === "tag").length;
  out.refs_deleted = plan.delete.length;
  if (out.diverged.length > 0 && !ctx.dryRun) out.status = "diverged";
}

/** `ls-remote --heads --tags` of one side ({@link listRemoteRefs}), auth errors naming the side. */
async function lsRemote(url: string, opts: GitOptions, who: string): Promise<RefMap> {
  try {
    return await listRemoteRefs(url, {
      auth: opts.auth,
      timeoutMs: opts.timeoutMs ?? 60_000,
      who,
      logger: opts.logger,
      signal: opts.signal,
    });
  } catch (e) {
    throw withWho(e, who);
  }
}

/** Names the side (source/target, host, token origin) in an auth error from git. */
function withWho(e: unknown, who: string): unknown {
  if (e instanceof AuthError && !e.message.includes(who)) {
    return new AuthError(
      `Cannot authenticate to ${who}: ${e.message.replace(/^Cannot authenticate: /, "")}`,
      {
        cause: e,
      },
    );
  }
  return e;
}

/** Which of `shas` are commits in the repository at `opts.cwd`. */
async function presentObjects(shas: string[], opts: GitOptions): Promise<Set<string>> {
  if (shas.length === 0) return new Set();
  const r = await git(["cat-file", "--batch-check=%(objectname) %(objecttype)"], {
    ...opts,
    input: shas.join("\n") + "\n",
  });
  return new Set(r.stdout.split("\n").filter((l) => / commit$/.test(l)).map((l) => l.split(" ")[0]));
}

/** `git rev-list --count <tips> --not <known>`: commits the target does not have yet. */
async function countNewCommits(tips: string[], known: string[], opts: GitOptions): Promise<number> {
  if (tips.length === 0) return 0;
  const input = [...tips, ...known.map((k) => `^${k}`)].join("\n") + "\n";
  const r = await git(["rev-list", "--count", "--stdin"], { ...opts, input });
  return Number(r.stdout.trim()) || 0;
}

/**
 * Pushes the planned refs by object id (`<sha>:<ref>`, never `+`), deletions as `:<ref>`, in batches
 * so argv stays short. Returns refs the server rejected (it moved since `ls-remote`).
 */
async function push(
  dest: Destination,
  entries: RefPlanEntry[],
  opts: GitOptions & { who: string },
): Promise<Set<string>> {
  const label = opts.who;
  const rejected = new Set<string>();
  for (let i = 0; i < entries.length; i += 200) {
    const specs = entries.slice(i, i + 200).map((e) =>
      e.action === "delete" ? `:${e.ref}` : `${e.source}:${e.ref}`
    );
    const r = await git(["push", "--porcelain", "--no-verify", dest.url, ...specs], { ...opts, okCodes: [1] })
      .catch((e) => {
        throw withWho(e, label);
      });
    const bad = r.stdout.split("\n").filter((l) => l.startsWith("!\t"));
    if (r.code !== 0 && bad.length === 0) {
      throw withWho(classifyGitFailure("git push", r.code, r.stderr), label);
    }
    for (const line of bad) rejected.add(line.split("\t")[1].split(":").pop()!);
  }
  return rejected;
}
