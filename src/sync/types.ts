import type { BidiOutcome } from "./bidi_outcome.ts";
import type { RefPlanEntry } from "./plan.ts";
import type { UploadedArchive } from "./archive_target.ts";

export type { UploadedArchive };

/** Outcome of one repository on one target. */
export interface TargetOutcome {
  /** Target label: `github.com/myorg`, `git.internal/backend/{name}.git`, `s3://bucket/prefix`. */
  target: string;
  /** Target type from config: "github", "gitlab", "git", "s3" (filled in by the engine when absent). */
  target_type?: string;
  /** Repository URL on the target, without credentials (s3: the prefix, or the uploaded object). */
  target_url: string;
  /** "success", "diverged" (some refs not fast-forward, left alone), "failure" or "planned" (dry run). */
  status: "success" | "diverged" | "failure" | "planned";
  /** The repository was (dry run: would be) created. */
  created: boolean;
  /** Nothing to do: every source branch and tag already on the target. */
  up_to_date: boolean;
  /** Commits new to the target (`rev-list --count <pushed> --not <target tips>`). */
  commits_synced: number;
  /** Branches created or fast-forwarded. */
  branches_synced: number;
  /** Tags created. */
  tags_synced: number;
  /** Refs deleted on the target (only with `prune: true`). */
  refs_deleted: number;
  /** Short names of branches/tags not overwritten because they diverged (or the push was rejected). */
  diverged: string[];
  /** Per-ref plan (always filled in a dry run; otherwise only the refs that changed or diverged). */
  plan: RefPlanEntry[];
  /** Why this target failed (status "failure"), redacted; the other targets went on. */
  error?: string;
  /** Kind of that failure: "AuthenticationError", "StorageError", "NetworkError"… */
  error_type?: string;
  /** s3 targets: the archive uploaded in this run. */
  archive?: UploadedArchive;
  /** s3 targets in a dry run: the archive that would be uploaded. */
  archive_planned?: "full" | "incremental";
  /**
   * `sync.mode: bidirectional` only: per-ref plan, conflicts and their resolution, what moved each way,
   * how the state was found. `diverged` then lists the conflicts still unresolved after the run.
   */
  bidirectional?: BidiOutcome;
}

/** Result of one repository, the object logs, metrics and alerts consume. */
export interface RepoSyncResult {
  /** Name on the target (flat), as the spec's `repository` field. */
  repository: string;
  /** Full path on the source: `backend/payments/api`. */
  source_path: string;
  /** Source clone URL, without credentials. */
  source_url: string;
  /** URL on the first target, without credentials. */
  target_url: string;
  /** "success", "diverged" (synced except refs reported diverged), "failure", "planned" (dry run). */
  status: "success" | "diverged" | "failure" | "planned";
  up_to_date: boolean;
  commits_synced: number;
  branches_synced: number;
  tags_synced: number;
  duration_seconds: number;
  /** Retries used (0 when the first attempt succeeded). */
  retries: number;
  /** The source was fetched into the mirror cache in this run. */
  fetched: boolean;
  /** One entry per target. */
  targets: TargetOutcome[];
  /** Failure message (redacted) and its type, e.g. "NetworkError", "AuthenticationError". */
  error?: string;
  error_type?: string;
}

/** The run summary: totals and every repository's result. */
export interface SyncRunResult {
  session_id: string;
  dry_run: boolean;
  /** Source labels: `gitlab.com/backend`. */
  sources: string[];
  /** Target labels: `github.com/myorg`. */
  targets: string[];
  /** `{index, count}` when sharded. */
  shard?: { index: number; count: number };
  total: number;
  successful: number;
  failed: number;
  diverged: number;
  /** Names of failed repositories (any target failed, or the source). */
  failed_repositories: string[];
  /** Every repository × target that failed while other targets of that repository went on. */
  failed_targets: Array<{ repository: string; target: string; target_type: string; error: string }>;
  diverged_repositories: string[];
  commits_synced: number;
  branches_synced: number;
  duration_seconds: number;
  repositories: RepoSyncResult[];
  /** Repositories not started (or cut short) because a token was rejected or the run was interrupted. */
  not_started: string[];
  /** The run was stopped by SIGTERM/SIGINT before every repository was synced. */
  interrupted?: boolean;
}

/**
 * A target's outcome before any work: nothing synced yet, status "success" (or "planned" in a dry run).
 * Callers fill in counts, `created` and failures as the work proceeds.
 */
export function newTargetOutcome(
  target: { label: string; kind?: string },
  options: { url: string; dryRun: boolean },
): TargetOutcome {
  return {
    target: target.label,
    ...(target.kind === undefined ? {} : { target_type: target.kind }),
    target_url: options.url,
    status: options.dryRun ? "planned" : "success",
    created: false,
    up_to_date: false,
    commits_synced: 0,
    branches_synced: 0,
    tags_synced: 0,
    refs_deleted: 0,
    diverged: [],
    plan: [],
  };
}
