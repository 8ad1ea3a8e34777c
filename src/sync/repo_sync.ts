import { AuthError, RepoClonerError, TransientError } from "../errors.ts";
import { classifyGitFailure, git, type GitAuth, type GitError, type GitOptions } from "../git/git.ts";
import { assertDistinctLocations, assertSafeRefs } from "../git/safe_location.ts";
import type { ModuleLogger } from "../log/logger.ts";
import type { RemoteRepository } from "../platforms/types.ts";
import type { MirrorCache } from "./mirror.ts";
import { planRefs, type RefPlanEntry, refsNeedingAncestry } from "./plan.ts";
import { type RefMap, sameRefs, shortRef, targetUpToDate } from "./refs.ts";
import { listRemoteRefs } from "./remote_refs.ts";
import type { Destination, SyncTarget } from "./target.ts";
import { newTargetOutcome, type TargetOutcome } from "./types.ts";
import {
  archiveNeeded,
  archiveStates,
  deliverArchives,
  type DeliverArchivesOptions,
} from "./archive_fanout.ts";
import type { S3ArchiveTarget } from "./archive_target.ts";
import { failTarget, type TargetFailure } from "./target_failure.ts";
import type { Gate } from "./gate.ts";

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
  /** Targets pushed to (github, gitlab, git). */
  targets: readonly SyncTarget[];
  /** Targets fed an archive built from the mirror (s3), after the pushes. Default none. */
  archiveTargets?: readonly S3ArchiveTarget[];
  cache: MirrorCache;
  dryRun: boolean;
  /** Deadline of this attempt (epoch ms); every git process is killed when it passes. */
  deadline: number;
  /**
   * Places for git work (clone, fetch, push, archive): the checks before it (listing refs, no
   * process) run outside. Getting a place restarts the clock: the attempt has `timeoutMs` from then,
   * so time spent waiting for a place never counts against the git processes. Default: no gate.
   */
  gitGate?: { gate: Gate; timeoutMs: number };
  logger?: ModuleLogger;
  /** Aborts the attempt: every git process it started is killed with its process group. */
  signal?: AbortSignal;
  /** An archive upload is starting (terminal view). */
  onUpload?: DeliverArchivesOptions["onUpload"];
}

/** One attempt's outcome. */
export interface AttemptResult {
  fetched: boolean;
  /** One outcome per target of the attempt (failed ones have status "failure" and `error`). */
  targets: TargetOutcome[];
  /** The targets that failed, with their errors, for the caller's retry decision. */
  failures?: TargetFailure[];
}

/**
 * One attempt at syncing one repository to every target from one fetch: `ls-remote` the source and
 * the push targets, read each archive target's newest manifest; when every target already has every
 * source branch and tag, stop (no fetch). Otherwise bring the mirror up to date (only when its refs
 * differ from the source's; a repository never seen before that a target lacks is cloned straight
 * away, without the source `ls-remote`), then per push target: create the repository if missing, plan
 * each ref ({@link planRefs}), count the commits new to the target and push branches and tags — never
 * forced; per archive target: build and upload the next archive from the mirror.
 * A target's failure is recorded on its outcome (and in `failures`) and the others go on; failures of
 * the source (listing, fetch) throw: TransientError / AuthError / RepoClonerError. The caller retries.
 */
export async function syncRepositoryOnce(job: RepoJob, ctx: RepoSyncContext): Promise<AttemptResult> {
  const failures: TargetFailure[] = [];
  let deadline = ctx.deadline;
  const t = (): number => {
    const left = deadline - Date.now();
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
  const outcome = (target: SyncTarget, url: string): TargetOutcome =>
    newTargetOutcome(target, { url, dryRun: ctx.dryRun });
  const states: Array<TargetWork & { failed?: boolean }> = [];
  for (const target of ctx.targets) {
    const out = outcome(target, "");
    try {
      const dest = target.destination(job.name);
      out.target_url = dest.url;
      assertDistinctLocations(job.source.cloneUrl, dest.url, `sync "${job.source.fullPath}"`);
      states.push({ target, dest, refs: new Map(), local: new Map(), dir: "", out });
    } catch (error) {
      failures.push(failTarget(out, error));
      states.push({
        target,
        dest: undefined as never,
        refs: new Map(),
        local: new Map(),
        dir: "",
        out,
        failed: true,
      });
    }
  }
  const archives = await archiveStates(job, ctx.archiveTargets ?? [], {
    dryRun: ctx.dryRun,
    signal: ctx.signal,
    failures,
  });
  const dir = ctx.cache.pathFor(job.sourceHost, job.source.fullPath);
  // Git work holds a place at the gate, once per attempt however often it asks. A rejected token
  // (the source's, or a push target's) closes the gate before the place is given back: the run
  // stops there, and no repository waiting for git starts (archive targets' errors do not stop it).
  let holding = false;
  const pushLabels = new Set(states.map((s) => s.out.target));
  const gated = <T>(fn: () => Promise<T>): Promise<T> => {
    if (!ctx.gitGate || holding) return fn();
    const { gate, timeoutMs } = ctx.gitGate;
    return gate.run(
      () => {
        holding = true;
        deadline = Math.max(deadline, Date.now() + timeoutMs);
        return fn();
      },
      ctx.signal,
      ({ error }) =>
        error instanceof AuthError
          ? error
          : failures.find((f) => f.error instanceof AuthError && pushLabels.has(f.target))?.error,
    );
  };
  const pull = async () => {
    await ctx.cache.update(dir, job.source.cloneUrl, gitOpts(job.sourceAuth)).catch((e) => {
      throw withWho(e, job.sourceWho);
    });
    return await ctx.cache.refs(dir, gitOpts());
  };
  // First sight of a repository that some target lacks: the clone is needed whatever ls-remote
  // would say, so skip it and let the fresh mirror's refs stand for the source's.
  const firstClone = !ctx.cache.has(dir) &&
    (states.some((s) => !s.failed && !s.dest.exists) || archives.some((a) => a.state && !a.state.latest));
  // The targets are listed while the source is (or while it is cloned): one round trip per
  // repository instead of one per side. Listing only reads; the comparison below waits for all.
  const listed = states.filter((x) => !x.failed && x.dest.exists).map(async (s) => {
    try {
      s.refs = await targetRefs(s, gitOpts(s.dest.auth));
    } catch (error) {
      s.failed = true;
      failures.push(failTarget(s.out, error));
    }
  });
  const outcomes = () => [...states.map((s) => s.out), ...archives.map((a) => a.out)];
  const attempt = async (cloned: RefMap | undefined): Promise<AttemptResult> => {
    let local = cloned;
    let sourceRefs: RefMap;
    try {
      sourceRefs = local ?? await lsRemote(job.source.cloneUrl, gitOpts(job.sourceAuth), job.sourceWho);
    } finally {
      await Promise.all(listed);
    }
    let fetched = cloned !== undefined;
    assertSafeRefs(sourceRefs.keys(), `the source of "${job.source.fullPath}"`);
    const needy = states.filter((s) =>
      !s.failed && (!s.dest.exists || s.missing || !targetUpToDate(sourceRefs, s.refs, s.target.prune))
    );
    for (const s of states) s.out.up_to_date = !s.failed && !needy.includes(s);
    const archiveNeedy = archives.filter((a) => archiveNeeded(a, sourceRefs));
    for (const a of archives) a.out.up_to_date = a.state !== undefined && !archiveNeedy.includes(a);
    if (needy.length === 0 && archiveNeedy.length === 0) return { fetched, targets: outcomes(), failures };
    return await gated(async () => {
      // The mirror's refs are read only when there is work: a no-change repository spawns no process.
      local ??= await ctx.cache.refs(dir, gitOpts());
      if (!fetched && !sameRefs(local, sourceRefs)) {
        local = await pull();
        fetched = true;
      }
      for (const s of needy) {
        try {
          await syncTarget(job, { ...s, local, dir }, { ...ctx, gitOpts });
        } catch (error) {
          failures.push(failTarget(s.out, s.missing ? missingRepository(s, error) : error));
        }
      }
      await deliverArchives(job, archiveNeedy, {
        dir,
        local,
        dryRun: ctx.dryRun,
        signal: ctx.signal,
        deadline,
        inMirror: gitOpts(undefined, dir),
        failures,
        onUpload: ctx.onUpload,
      });
      return { fetched, targets: outcomes(), failures };
    });
  };
  if (!firstClone) return await attempt(undefined);
  return await gated(async () => {
    let cloned: RefMap;
    try {
      cloned = await pull();
    } catch (e) {
      await Promise.all(listed);
      throw e;
    }
    return await attempt(cloned);
  });
}

/**
 * A target's refs. A plain git server that answers "not found" is taken as empty and `missing` is set:
 * the push is still tried, for servers that create repositories on push.
 */
async function targetRefs(s: TargetWork, opts: GitOptions): Promise<RefMap> {
  try {
    return await lsRemote(s.dest.url, opts, s.target.who);
  } catch (error) {
    if (s.target.kind !== "git" || !isNotFound(error)) throw error;
    s.missing = true;
    return new Map();
  }
}

function isNotFound(error: unknown): boolean {
  if ((error as RepoClonerError)?.errorType === "NotFound") return true;
  return /not found|does not exist|does not appear to be a git repository/i.test(
    `${(error as Error)?.message ?? ""}\n${(error as GitError)?.stderr ?? ""}`,
  );
}

/** The error of a push to a plain git server repository that does not exist. */
function missingRepository(s: TargetWork, error: unknown): unknown {
  if (error instanceof AuthError) return error;
  return new RepoClonerError(
    `Cannot push to "${s.dest.url}": the repository does not exist on the git server, and the server did ` +
      "not create it on push. Create it there first (a plain git server has no API to create repositories)",
    { cause: error, errorType: "NotFound" },
  );
}

interface TargetWork {
  target: SyncTarget;
  dest: Destination;
  /** A plain git server said the repository does not exist (the push is tried anyway). */
  missing?: boolean;
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
