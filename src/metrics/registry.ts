import { Counter, Gauge, Registry } from "prom-client";
import { VERSION } from "../version.ts";

/** One repository's sync outcome, as the sync engine reports it. */
export interface SyncObservation {
  /** Repository name, the `repository` label (e.g. `backend-auth-service`). */
  repository: string;
  /** Final outcome after retries. */
  status: "success" | "failure";
  /** Wall time of the whole attempt, retries included. */
  durationSeconds: number;
  /** Commits pushed (counted for successes and failures alike). Default 0. */
  commits?: number;
  /** Branches pushed. Default 0. */
  branches?: number;
  /** Retries taken (0 when the first attempt worked). Default 0. */
  retries?: number;
  /** Conflicts detected (bidirectional sync). Default 0. */
  conflicts?: number;
  /** When it finished. Default: the metrics clock. */
  at?: Date;
}

/** One archive creation. */
export interface ArchiveObservation {
  /** Archive type, the `type` label: `full` or `incremental`. */
  type: string;
  /** Size of the written archive in bytes (all volumes). */
  sizeBytes: number;
  /** Wall time of the creation. */
  durationSeconds: number;
}

/**
 * Run-level outcome: `failure` means nothing was synced or the run aborted; `partial` some failed;
 * `interrupted` the run was stopped by SIGTERM/SIGINT (it neither fails nor resets the failed-run streak).
 */
export type RunStatus = "success" | "partial" | "failure" | "interrupted";

/** Persisted values of every series, so counters keep counting across one-shot runs. */
export interface MetricsSnapshot {
  version: 1;
  metrics: Record<string, { labels: Record<string, string>; value: number }[]>;
}

/** Options of {@link RepoClonerMetrics}. */
export interface MetricsOptions {
  /** Version for `repo_cloner_build_info`. Default: this build's. */
  version?: string;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
}

/**
 * The Prometheus registry with the spec's metric names and labels (built on `prom-client`, which
 * renders the text exposition format under Deno and in the bun-compiled binary alike):
 *
 * - `repo_cloner_sync_duration_seconds{repository}` gauge: duration of the last sync attempt
 * - `repo_cloner_sync_success_total{repository}`, `repo_cloner_sync_failure_total{repository}`
 * - `repo_cloner_repositories_synced_total`, `repo_cloner_commits_synced_total`,
 *   `repo_cloner_branches_synced_total`
 * - `repo_cloner_archive_size_bytes{type}` gauge, `repo_cloner_archive_creation_duration_seconds` gauge,
 *   `repo_cloner_archives_created_total{type}`
 * - `repo_cloner_last_success_timestamp_seconds{repository}`, `repo_cloner_retries_total{repository}`,
 *   `repo_cloner_conflicts_total{repository}`, `repo_cloner_runs_total{status}`,
 *   `repo_cloner_last_run_timestamp_seconds`, `repo_cloner_consecutive_failed_runs`,
 *   `repo_cloner_build_info{version}`
 */
export class RepoClonerMetrics {
  /** The underlying prom-client registry. */
  readonly registry = new Registry();
  #now: () => Date;
  #consecutiveFailed = 0;
  readonly #duration: Gauge<"repository">;
  readonly #success: Counter<"repository">;
  readonly #failure: Counter<"repository">;
  readonly #repos: Counter;
  readonly #commits: Counter;
  readonly #branches: Counter;
  readonly #retries: Counter<"repository">;
  readonly #conflicts: Counter<"repository">;
  readonly #lastSuccess: Gauge<"repository">;
  readonly #archiveSize: Gauge<"type">;
  readonly #archiveDuration: Gauge;
  readonly #archives: Counter<"type">;
  readonly #runs: Counter<"status">;
  readonly #lastRun: Gauge;
  readonly #failedRuns: Gauge;

  constructor(options: MetricsOptions = {}) {
    this.#now = options.now ?? (() => new Date());
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
      new Counter<L>({ name, help, labelNames, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
      new Gauge<L>({ name, help, labelNames, registers });
    this.#duration = gauge(
      "repo_cloner_sync_duration_seconds",
      "Duration of the last sync of the repository, retries included.",
      ["repository"],
    );
    this.#success = counter("repo_cloner_sync_success_total", "Successful repository syncs.", ["repository"]);
    this.#failure = counter("repo_cloner_sync_failure_total", "Failed repository syncs.", ["repository"]);
    this.#repos = counter("repo_cloner_repositories_synced_total", "Repositories synced successfully.");
    this.#commits = counter("repo_cloner_commits_synced_total", "Commits pushed to targets.");
    this.#branches = counter("repo_cloner_branches_synced_total", "Branches pushed to targets.");
    this.#retries = counter("repo_cloner_retries_total", "Retried sync attempts.", ["repository"]);
    this.#conflicts = counter("repo_cloner_conflicts_total", "Conflicts detected.", ["repository"]);
    this.#lastSuccess = gauge(
      "repo_cloner_last_success_timestamp_seconds",
      "Unix time of the last successful sync of the repository.",
      ["repository"],
    );
    this.#archiveSize = gauge("repo_cloner_archive_size_bytes", "Size of the last archive created.", [
      "type",
    ]);
    this.#archiveDuration = gauge(
      "repo_cloner_archive_creation_duration_seconds",
      "Duration of the last archive creation.",
    );
    this.#archives = counter("repo_cloner_archives_created_total", "Archives created.", ["type"]);
    this.#runs = counter("repo_cloner_runs_total", "Sync runs by outcome.", ["status"]);
    this.#lastRun = gauge("repo_cloner_last_run_timestamp_seconds", "Unix time the last sync run ended.");
    this.#failedRuns = gauge(
      "repo_cloner_consecutive_failed_runs",
      "Sync runs that failed in a row (0 after any run that synced something).",
    );
    gauge("repo_cloner_build_info", "Build information; the value is always 1.", ["version"])
      .set({ version: options.version ?? VERSION }, 1);
  }

  /** Records one repository's sync. */
  recordSync(o: SyncObservation): void {
    const labels = { repository: o.repository };
    this.#duration.set(labels, nonNegative(o.durationSeconds));
    if (o.status === "success") {
      this.#success.inc(labels);
      this.#repos.inc();
      this.#lastSuccess.set(labels, seconds(o.at ?? this.#now()));
    } else {
      this.#failure.inc(labels);
    }
    this.#commits.inc(nonNegative(o.commits));
    this.#branches.inc(nonNegative(o.branches));
    this.#retries.inc(labels, nonNegative(o.retries));
    this.#conflicts.inc(labels, nonNegative(o.conflicts));
  }

  /** Records one archive creation. */
  recordArchive(o: ArchiveObservation): void {
    this.#archiveSize.set({ type: o.type }, nonNegative(o.sizeBytes));
    this.#archiveDuration.set(nonNegative(o.durationSeconds));
    this.#archives.inc({ type: o.type });
  }

  /** Records the end of a whole run; drives {@link consecutiveFailedRuns} and `/healthz`. */
  recordRun(status: RunStatus, at: Date = this.#now()): void {
    this.#runs.inc({ status });
    this.#lastRun.set(seconds(at));
    if (status !== "interrupted") {
      this.#consecutiveFailed = status === "failure" ? this.#consecutiveFailed + 1 : 0;
    }
    this.#failedRuns.set(this.#consecutiveFailed);
  }

  /** Runs that failed in a row. */
  get consecutiveFailedRuns(): number {
    return this.#consecutiveFailed;
  }

  /** `Content-Type` of {@link text}: the text exposition format 0.0.4. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The registry in the Prometheus text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Every series' value (build info excluded), for {@link restore} in a later process. */
  async snapshot(): Promise<MetricsSnapshot> {
    const metrics: MetricsSnapshot["metrics"] = {};
    for (const m of await this.registry.getMetricsAsJSON()) {
      if (m.name === "repo_cloner_build_info") continue;
      metrics[m.name] = m.values.map((v) => ({
        labels: Object.fromEntries(Object.entries(v.labels).map(([k, l]) => [k, String(l)])),
        value: v.value,
      }));
    }
    return { version: 1, metrics };
  }

  /**
   * Loads values saved by {@link snapshot}: counters continue from them, gauges take them.
   * Unknown metric names, unknown labels and non-finite or negative values are skipped.
   */
  restore(snapshot: MetricsSnapshot): void {
    for (const [name, values] of Object.entries(snapshot.metrics ?? {})) {
      const metric = this.registry.getSingleMetric(name);
      if (!metric || name === "repo_cloner_build_info" || !Array.isArray(values)) continue;
      const allowed = new Set((metric as unknown as { labelNames: string[] }).labelNames);
      for (const { labels, value } of values) {
        if (typeof value !== "number" || !Number.isFinite(value) || value < 0) continue;
        const l = labels && typeof labels === "object" ? labels : {};
        if (
          Object.keys(l).some((k) => !allowed.has(k)) || Object.values(l).some((v) => typeof v !== "string")
        ) {
          continue;
        }
        if (metric instanceof Counter) metric.inc(l, value);
        else if (metric instanceof Gauge) metric.set(l, value);
      }
    }
    const failed = snapshot.metrics?.repo_cloner_consecutive_failed_runs?.[0]?.value;
    if (typeof failed === "number" && Number.isInteger(failed) && failed >= 0) {
      this.#consecutiveFailed = failed;
    }
  }
}

function nonNegative(n: number | undefined): number {
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? n : 0;
}

function seconds(d: Date): number {
  return d.getTime() / 1000;
}
