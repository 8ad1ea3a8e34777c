/**
 * The archive-target half of one repository's attempt: what each s3 target holds of the repository,
 * whether it needs a new archive, and the deliveries from the mirror. Every failure stays on its own
 * target's outcome.
 */
import { TransientError } from "../errors.ts";
import { git, type GitOptions } from "../git/git.ts";
import type { ArchiveState, S3ArchiveTarget, UploadedArchive } from "./archive_target.ts";
import { refKind, type RefMap } from "./refs.ts";
import type { RepoJob } from "./repo_sync.ts";
import { failTarget, type TargetFailure } from "./target_failure.ts";
import { newTargetOutcome, type TargetOutcome } from "./types.ts";

/** One archive target's work for one repository. */
export interface ArchiveWork {
  target: S3ArchiveTarget;
  out: TargetOutcome;
  /** Undefined when reading the target's state failed (the outcome says why). */
  state?: ArchiveState;
}

/**
 * Reads each target's newest archive of the repository (its manifest only). A target whose bucket is
 * missing or denied gets a failed outcome here; the others go on.
 */
export async function archiveStates(
  job: RepoJob,
  targets: readonly S3ArchiveTarget[],
  options: { dryRun: boolean; signal?: AbortSignal; failures: TargetFailure[] },
): Promise<ArchiveWork[]> {
  const works: ArchiveWork[] = [];
  for (const target of targets) {
    const out = newTargetOutcome({ label: target.label, kind: "s3" }, {
      url: target.storage.location,
      dryRun: options.dryRun,
    });
    const work: ArchiveWork = { target, out };
    try {
      work.state = await target.state(job.name, { signal: options.signal });
      out.created = !work.state.latest;
    } catch (error) {
      options.failures.push(failTarget(out, error));
    }
    works.push(work);
  }
  return works;
}

/** True when the target can be served and its newest archive does not hold the source's refs. */
export function archiveNeeded(w: ArchiveWork, sourceRefs: RefMap): boolean {
  return w.state !== undefined && !w.target.upToDate(w.state, sourceRefs);
}

/** Options of {@link deliverArchives}. */
export interface DeliverArchivesOptions {
  /** The up-to-date mirror. */
  dir: string;
  /** Its refs. */
  local: RefMap;
  dryRun: boolean;
  signal?: AbortSignal;
  /** Deadline of the attempt (epoch ms): a build or upload still running then is stopped (retryable). */
  deadline: number;
  /** Options for git in the mirror (deadline, logger). */
  inMirror: GitOptions;
  failures: TargetFailure[];
  /** An upload is starting. */
  onUpload?: (e: { repository: string; target: string; url: string; size: number }) => void;
}

/**
 * Counts what is new against each target's newest archive, then (unless a dry run) builds and uploads
 * the next archive from the mirror. Failures are recorded on their target's outcome.
 */
export async function deliverArchives(
  job: RepoJob,
  works: ArchiveWork[],
  options: DeliverArchivesOptions,
): Promise<void> {
  for (const w of works) {
    if (!w.state) continue;
    const { out } = w;
    const left = options.deadline - Date.now();
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, Math.max(1, left));
    const stop = () => ac.abort();
    options.signal?.addEventListener("abort", stop, { once: true });
    if (options.signal?.aborted) ac.abort();
    try {
      await countAgainstBase(w, options);
      if (options.dryRun) {
        out.archive_planned = w.target.nextType(w.state);
        continue;
      }
      const uploaded: UploadedArchive = await w.target.deliver(job.name, {
        mirrorDir: options.dir,
        sourceUrl: job.source.cloneUrl,
        sourceAuth: job.sourceAuth,
        tips: [...options.local.values()].map((tip) => tip.commit),
        state: w.state,
        signal: ac.signal,
        onUpload: (e) => options.onUpload?.({ repository: job.name, target: w.target.label, ...e }),
      });
      out.archive = uploaded;
      out.target_url = uploaded.url;
    } catch (error) {
      const late = timedOut && !options.signal?.aborted;
      const e = late
        ? new TransientError(
          `Network timeout: the archive of "${job.name}" for ${w.target.label} ran out of time`,
          {
            cause: error,
          },
        )
        : error;
      options.failures.push(failTarget(out, e));
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", stop);
    }
  }
}

/** Branches and tags that differ from the base archive's, and the commits they bring. */
async function countAgainstBase(w: ArchiveWork, options: DeliverArchivesOptions): Promise<void> {
  const base = w.state?.manifest?.manifest.refs ?? {};
  const changed = [...options.local].filter(([ref, tip]) => base[ref] !== tip.sha);
  w.out.branches_synced = changed.filter(([ref]) => refKind(ref) === "branch").length;
  w.out.tags_synced = changed.filter(([ref]) => refKind(ref) === "tag").length;
  if (changed.length === 0) return;
  const tips = changed.map(([, tip]) => tip.commit);
  const known = Object.values(base).map((sha) => `^${sha}`);
  const r = await git(["rev-list", "--count", "--ignore-missing", "--stdin"], {
    ...options.inMirror,
    input: [...tips, ...known].join("\n") + "\n",
  });
  w.out.commits_synced = Number(r.stdout.trim()) || 0;
}
