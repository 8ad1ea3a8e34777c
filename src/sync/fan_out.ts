/**
 * One repository fanned out to several targets across retries: outcomes are kept per target, and a
 * retry re-runs only the targets whose failure was transient, so a target that already succeeded is not
 * pushed or uploaded to again, and a failing target never takes the others' results with it.
 */
import { AuthError, TransientError } from "../errors.ts";
import type { S3ArchiveTarget } from "./archive_target.ts";
import type { AttemptResult } from "./repo_sync.ts";
import type { SyncTarget } from "./target.ts";
import type { TargetOutcome } from "./types.ts";

/** Per-repository state of a fan-out over its attempts. */
export class FanOut {
  #outcomes = new Map<string, TargetOutcome>();
  #errors = new Map<string, unknown>();
  #pending?: Set<string>;
  #thrown = new WeakSet<object>();
  #fetched = false;

  /**
   * @param order target labels in config order (outcomes are reported in this order).
   */
  constructor(
    readonly push: readonly SyncTarget[],
    readonly archives: readonly S3ArchiveTarget[],
    readonly order: readonly string[],
  ) {}

  /** Push targets the next attempt must serve: all at first, then only those that failed transiently. */
  pushTargets(): SyncTarget[] {
    return this.push.filter((t) => !this.#pending || this.#pending.has(t.label));
  }

  /** Archive targets the next attempt must serve (see {@link pushTargets}). */
  archiveTargets(): S3ArchiveTarget[] {
    return this.archives.filter((t) => !this.#pending || this.#pending.has(t.label));
  }

  /**
   * Runs one attempt and keeps its outcomes. When some target failed transiently, throws that
   * TransientError so the caller's retry loop runs again — for those targets only.
   */
  async run(attempt: () => Promise<AttemptResult>): Promise<AttemptResult> {
    const r = await attempt();
    this.#fetched ||= r.fetched;
    for (const o of r.targets) {
      this.#outcomes.set(o.target, o);
      this.#errors.delete(o.target);
    }
    for (const f of r.failures ?? []) this.#errors.set(f.target, f.error);
    const transient = (r.failures ?? []).filter((f) => f.error instanceof TransientError);
    if (transient.length > 0) {
      this.#pending = new Set(transient.map((f) => f.target));
      const error = transient[0].error as TransientError;
      this.#thrown.add(error);
      throw error;
    }
    return this.result();
  }

  /** True when `error` was thrown by {@link run} for a target retry (the outcomes are kept here). */
  isTargetRetry(error: unknown): boolean {
    return typeof error === "object" && error !== null && this.#thrown.has(error);
  }

  /** Every target's latest outcome, in config order. */
  result(): AttemptResult {
    const targets = [...this.#outcomes.values()].sort((a, b) =>
      this.order.indexOf(a.target) - this.order.indexOf(b.target)
    );
    return { fetched: this.#fetched, targets };
  }

  /** The first rejected token among the push targets (it stops the run, as at the start). */
  authError(): AuthError | undefined {
    const pushLabels = new Set(this.push.map((t) => t.label));
    for (const [label, error] of this.#errors) {
      if (pushLabels.has(label) && error instanceof AuthError) return error;
    }
    return undefined;
  }
}
