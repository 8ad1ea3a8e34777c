import { AuthError, RepoClonerError, TransientError } from "../errors.ts";
import type { GitAuth } from "../git/git.ts";
import { assertDistinctLocations, assertSafeRefs } from "../git/safe_location.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { BidiCache } from "./bidi_cache.ts";
import { type BidiOutcome, noCounts, type ReportedConflict, type SideCounts } from "./bidi_outcome.ts";
import { ancestryQuestions, planBidirectional, type Side } from "./bidi_plan.ts";
import { type ApplyResult, applyUpdates } from "./bidi_apply.ts";
import { backupStamp, type RefUpdate, resolveBidiPlan } from "./bidi_resolve.ts";
import type { BidiSettings } from "./bidi_settings.ts";
import { bidiStatePath, loadBidiState, nextBidiState, saveBidiState } from "./bidi_state.ts";
import { type RefMap, sameRefs, shortRef } from "./refs.ts";
import { listRemoteRefs } from "./remote_refs.ts";
import type { AttemptResult, RepoJob, RepoSyncContext } from "./repo_sync.ts";
import { newTargetOutcome, type TargetOutcome } from "./types.ts";

/** What one bidirectional attempt needs beyond a one-way attempt. */
export interface BidiSyncContext extends RepoSyncContext {
  bidi: BidiSettings;
  /** Forge names of the sides for messages: `{source: "GitLab", target: "GitHub"}`. */
  sides: Record<Side, string>;
  /** Conflict, backup and state events (`repo_cloner.bidirectional`). */
  events?: ModuleLogger;
  /** Clock for backup ref timestamps and the state file. Default `new Date()`. */
  now?: () => Date;
  sessionId?: string;
}

const shas = (refs: RefMap) => new Map([...refs].map(([ref, tip]) => [ref, tip.sha]));

/**
 * One attempt at keeping one repository pair in step: `ls-remote` both sides; when they already
 * agree, only the state is brought up to date. Otherwise fetch each side (once, and only when the
 * cache lags) into the pair's cache, plan every ref ({@link planBidirectional}) from the tips, the
 * state and ancestry, apply the conflict strategy ({@link resolveBidiPlan}), save every losing tip
 * under a backup ref on its side, push every update with a lease, and write the new state
 * atomically — also when a push fails half way, so a crash or a refusal converges next run.
 * @throws RepoClonerError "RefMoved" when a lease refused a push (a person pushed meanwhile; nothing
 *   was overwritten); TransientError / AuthError as a one-way attempt.
 */
export async function syncBidirectionalOnce(job: RepoJob, ctx: BidiSyncContext): Promise<AttemptResult> {
  const target = ctx.targets[0];
  let dest = target.destination(job.name);
  const where = `"${job.source.fullPath}"`;
  assertDistinctLocations(job.source.cloneUrl, dest.url, `sync ${where}`);
  const left = (): number => {
    const ms = ctx.deadline - Date.now();
    if (ms <= 0) throw new TransientError(`Network timeout: ${where} ran out of time`);
    return ms;
  };
  const opts = (auth?: GitAuth) => ({ auth, timeoutMs: left(), logger: ctx.logger, signal: ctx.signal });
  const now = ctx.now?.() ?? new Date();
  const lsRemote = (url: string, auth: GitAuth, who: string) =>
    listRemoteRefs(url, { auth, timeoutMs: left(), who, logger: ctx.logger, signal: ctx.signal }).catch(
      (e) => {
        throw withWho(e, who);
      },
    );
  const sourceLs = await lsRemote(job.source.cloneUrl, job.sourceAuth, job.sourceWho);
  assertSafeRefs(sourceLs.keys(), `the source of ${where}`);
  const targetLs: RefMap = dest.exists ? await lsRemote(dest.url, dest.auth, target.who) : new Map();
  assertSafeRefs(targetLs.keys(), `the target of ${where}`);

  const created = !dest.exists;
  if (created && !ctx.dryRun) dest = await target.ensure(job.name, job.source);
  const pair = { sourceUrl: job.source.cloneUrl, targetUrl: dest.url };
  const stateFile = bidiStatePath(ctx.bidi.stateDir, job.sourceHost, job.source.fullPath);
  const loaded = loadBidiState(stateFile, pair);
  if (loaded.status === "corrupt" || loaded.status === "other-pair") {
    ctx.events?.warning(loaded.message!, {
      repository: job.name,
      state_file: stateFile,
      state: loaded.status,
    });
  } else if (loaded.status === "missing") {
    ctx.events?.info(loaded.message!, { repository: job.name, state_file: stateFile, state: loaded.status });
  }
  const bidi: BidiOutcome = {
    strategy: ctx.bidi.strategy,
    propagate_deletes: ctx.bidi.propagateDeletes,
    sides: ctx.sides,
    state: { status: loaded.status, file: stateFile, message: loaded.message },
    plan: [],
    conflicts: [],
    to_source: noCounts(),
    to_target: noCounts(),
    deleted_not_propagated: [],
  };
  const out: TargetOutcome = {
    ...newTargetOutcome({ label: target.label }, { url: dest.url, dryRun: ctx.dryRun }),
    created,
    bidirectional: bidi,
  };
  const save = (source: RefMap | Map<string, string>, tgt: RefMap | Map<string, string>) => {
    if (ctx.dryRun) return;
    const flat = (m: RefMap | Map<string, string>) =>
      new Map([...m].map(([k, v]) => [k, typeof v === "string" ? v : v.sha]));
    const next = nextBidiState(loaded.refs, flat(source), flat(tgt));
    if (loaded.refs && sameMap(next, loaded.refs)) return;
    saveBidiState(stateFile, pair, next, { now, sessionId: ctx.sessionId });
  };

  if (sameRefs(sourceLs, targetLs)) {
    const plan = planBidirectional({ source: sourceLs, target: targetLs, state: loaded.refs });
    bidi.plan = ctx.dryRun ? plan.entries : [];
    out.up_to_date = !created;
    save(sourceLs, targetLs);
    return { fetched: false, targets: [out] };
  }

  const cache = new BidiCache(ctx.cache.root, job.sourceHost, job.source.fullPath);
  await cache.ensure(opts());
  let fetched = false;
  const sync = async (side: Side, ls: RefMap, url: string, auth: GitAuth, who: string): Promise<RefMap> => {
    let refs = await cache.refs(side, opts());
    if (sameRefs(refs, ls)) return refs;
    await cache.fetch(side, url, opts(auth)).catch((e) => {
      throw withWho(e, who);
    });
    fetched = true;
    refs = await cache.refs(side, opts());
    assertSafeRefs(refs.keys(), `the ${side} of ${where}`);
    return refs;
  };
  const src = await sync("source", sourceLs, job.source.cloneUrl, job.sourceAuth, job.sourceWho);
  const tgt = ctx.dryRun && created
    ? new Map()
    : await sync("target", targetLs, dest.url, dest.auth, target.who);

  const planInput = {
    source: src,
    target: tgt,
    state: loaded.refs,
    propagateDeletes: ctx.bidi.propagateDeletes,
  };
  const ancestry = await cache.ancestry(ancestryQuestions(planInput), opts());
  const plan = planBidirectional({ ...planInput, ancestry });
  bidi.plan = ctx.dryRun ? plan.entries : plan.entries.filter((e) => e.action !== "up-to-date");
  bidi.deleted_not_propagated = plan.entries.filter((e) => e.action === "deleted").map((e) =>
    shortRef(e.ref)
  );
  const resolution = resolveBidiPlan(plan, {
    strategy: ctx.bidi.strategy,
    stamp: backupStamp(now),
    propagateDeletes: ctx.bidi.propagateDeletes,
  });
  const counts = { source: bidi.to_source, target: bidi.to_target };
  for (const side of ["source", "target"] as const) {
    const ups = resolution.updates.filter((u) => u.side === side);
    const tips = [...(side === "source" ? src : tgt).values()].map((t) => t.sha);
    counts[side].commits = await cache.countNew(ups.flatMap((u) => u.sha ? [u.sha] : []), tips, opts());
  }

  const tally = (u: RefUpdate) => {
    const c: SideCounts = counts[u.side];
    if (u.sha === undefined) c.deleted++;
    else if (u.kind === "branch") c.branches++;
    else c.tags++;
  };
  if (ctx.dryRun) resolution.updates.forEach(tally);

  const after = { source: shas(src), target: shas(tgt) };
  const applied = new Set<RefUpdate>();
  let pushed: ApplyResult = { backedUp: new Set(), rejected: [] };
  try {
    if (!ctx.dryRun) {
      const wrap = (who: string) => (e: unknown) => withWho(e, who);
      pushed = await applyUpdates(resolution.updates, {
        source: { url: job.source.cloneUrl, auth: job.sourceAuth, wrap: wrap(job.sourceWho) },
        target: { url: dest.url, auth: dest.auth, wrap: wrap(target.who) },
      }, {
        cwd: cache.dir,
        git: () => ({ timeoutMs: left(), logger: ctx.logger, signal: ctx.signal }),
        onApplied: (u) => {
          applied.add(u);
          if (u.sha === undefined) after[u.side].delete(u.ref);
          else after[u.side].set(u.ref, u.sha);
          tally(u);
        },
      });
    }
  } finally {
    save(after.source, after.target);
  }

  bidi.conflicts = resolution.conflicts.map((c): ReportedConflict => {
    const u = resolution.updates.find((x) => x.ref === c.ref);
    return {
      ...c,
      backup: c.backup && u?.backup ? { ...c.backup, ref: u.backup.ref } : c.backup,
      applied: u !== undefined && applied.has(u),
      backup_saved: u !== undefined && pushed.backedUp.has(u),
    };
  });
  for (const c of bidi.conflicts) logConflict(ctx, job.name, c);
  // Still in conflict after the run: nothing could move it, or (not a dry run) its overwrite did not land.
  out.diverged = bidi.conflicts.filter((c) => c.unresolved || (!ctx.dryRun && !c.applied)).map((c) =>
    shortRef(c.ref)
  );
  out.commits_synced = bidi.to_source.commits + bidi.to_target.commits;
  out.branches_synced = bidi.to_source.branches + bidi.to_target.branches;
  out.tags_synced = bidi.to_source.tags + bidi.to_target.tags;
  out.refs_deleted = bidi.to_source.deleted + bidi.to_target.deleted;
  out.up_to_date = resolution.updates.length === 0 && resolution.conflicts.length === 0 && !created;
  if (!ctx.dryRun && out.diverged.length > 0) out.status = "diverged";
  if (pushed.rejected.length > 0) {
    const list = pushed.rejected.map((r) => `${shortRef(r.ref)} on ${ctx.sides[r.side]} (${r.reason})`).join(
      ", ",
    );
    throw new RepoClonerError(
      `Cannot sync ${where}: ${list} — the ref moved while this run was pushing, so the push was refused and ` +
        "nothing was overwritten. It will be retried on the next run",
      { errorType: "RefMoved" },
    );
  }
  return { fetched, targets: [out] };
}

function logConflict(ctx: BidiSyncContext, repository: string, c: ReportedConflict): void {
  const resolution = c.unresolved
    ? `none: ${c.unresolved}`
    : ctx.dryRun
    ? `${c.strategy} (dry run: would overwrite the ${c.winner === "source" ? "target" : "source"})`
    : c.applied
    ? `${c.strategy}: ${c.winner === "source" ? "target" : "source"} overwritten`
    : `${c.strategy}: refused, nothing overwritten`;
  // A backup that landed is logged even when the overwrite after it was refused.
  ctx.events?.warning("Conflict detected", {
    repository,
    ref: c.ref,
    branch: c.kind === "branch" ? shortRef(c.ref) : undefined,
    tag: c.kind === "tag" ? shortRef(c.ref) : undefined,
    conflict: c.conflict,
    reason: c.reason,
    source_sha: c.source ?? null,
    target_sha: c.target ?? null,
    strategy: c.strategy,
    resolution,
    backup_ref: c.backup && (c.backup_saved || ctx.dryRun) ? c.backup.ref : null,
    backup_side: c.backup && (c.backup_saved || ctx.dryRun) ? c.backup.side : null,
    backup_sha: c.backup && (c.backup_saved || ctx.dryRun) ? c.backup.sha : null,
    dry_run: ctx.dryRun || undefined,
  });
}

/** Names the side (host, token origin, scope) in an auth error from git. */
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

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
