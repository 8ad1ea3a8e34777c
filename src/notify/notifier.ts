import { hostname } from "node:os";
import type { NotificationsConfig } from "../config/ops_schema.ts";
import { type ModuleLogger, nullLogger } from "../log/logger.ts";
import { type Redactor, redactor as defaultRedactor } from "../log/redact.ts";
import { type AlertEvent, RUN_KEY_PREFIX } from "./alert_event.ts";
import { type AlertState, type Channel, loadAlertState, saveAlertState } from "./alert_state.ts";
import { pagerDutyEvent, sendPagerDuty } from "./pagerduty.ts";
import { postSlack, slackMessages } from "./slack.ts";

/** One repository's final outcome in a run. */
export interface RepositoryOutcome {
  repository: string;
  ok: boolean;
  /** Error message, for failures (redacted again before sending). */
  error?: string;
  /** Error kind (`NetworkError`), for failures. */
  errorType?: string;
}

/** A whole run's outcome, alerted on its own transitions (dedup key `<prefix>/run:<scope>`). */
export interface RunOutcome {
  /** What the run covers, e.g. the source labels `gitlab.example.com/backend`. */
  scope: string;
  /** false: the run stopped before syncing (token rejected, discovery failed). */
  ok: boolean;
  error?: string;
  errorType?: string;
}

/** The run the outcomes belong to. */
export interface RunInfo {
  sessionId: string;
  /** The session's JSON log file, quoted in alerts. */
  logFile?: string;
  /** The run-level outcome; undefined when the run says nothing about itself (interrupted, dry run). */
  outcome?: RunOutcome;
}

/** What {@link Notifier.report} did. */
export interface NotifyReport {
  sent: { channel: Channel; kind: AlertEvent["kind"]; repositories: string[] }[];
  failed: { channel: Channel; message: string }[];
}

/** Options of {@link Notifier}. */
export interface NotifierOptions {
  /** Alert state file. Required for alerts to fire on transitions across runs. */
  statePath: string;
  /** Where delivery problems go (WARNING). Default nowhere. */
  logger?: ModuleLogger;
  fetch?: typeof fetch;
  now?: () => Date;
  /** payload.source for PagerDuty. Default `os.hostname()`. */
  hostname?: string;
  redactor?: Redactor;
  /** Backoff sleep between retries, for tests. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Tells Slack and PagerDuty when a repository starts failing and when it recovers — once per
 * transition, not on every failed run. The last state each channel was told is kept in a JSON state
 * file (written atomically), so scheduled runs and separate one-shot runs behave the same. A channel
 * that cannot be reached is logged at WARNING, keeps its old state (the alert is retried next run) and
 * is skipped for the rest of this report; {@link report} never throws.
 */
export class Notifier {
  readonly #config?: NotificationsConfig;
  readonly #o: NotifierOptions;
  readonly #log: ModuleLogger;
  readonly #redactor: Redactor;

  constructor(config: NotificationsConfig | undefined, options: NotifierOptions) {
    this.#config = config;
    this.#o = options;
    this.#log = options.logger ?? nullLogger();
    this.#redactor = options.redactor ?? defaultRedactor;
  }

  /** Channels configured and enabled. */
  get channels(): Channel[] {
    const c = this.#config;
    const out: Channel[] = [];
    if (c?.slack && c.slack.enabled) out.push("slack");
    if (c?.pagerduty && c.pagerduty.enabled) out.push("pagerduty");
    return out;
  }

  /**
   * Records a run's outcomes and sends the alerts its transitions call for: per repository, and for
   * the run itself when `run.outcome` is given (a run that fails before any repository result would
   * otherwise alert nobody). Never throws.
   */
  async report(outcomes: RepositoryOutcome[], run: RunInfo): Promise<NotifyReport> {
    const result: NotifyReport = { sent: [], failed: [] };
    const all = run.outcome
      ? [...outcomes, { ...run.outcome, repository: RUN_KEY_PREFIX + run.outcome.scope, run: true }]
      : outcomes;
    if (this.channels.length === 0 || all.length === 0) return result;
    try {
      await this.#report(all, run, result);
    } catch (e) {
      const message = `Cannot send notifications: ${this.#redactor.redact((e as Error).message)}`;
      this.#log.warning(message, { error_type: "NotificationError" });
    }
    return result;
  }

  async #report(
    outcomes: (RepositoryOutcome & { run?: boolean })[],
    run: RunInfo,
    result: NotifyReport,
  ): Promise<void> {
    const now = (this.#o.now ?? (() => new Date()))();
    const onProblem = (m: string) => this.#log.warning(m, { error_type: "NotificationError" });
    const state = loadAlertState(this.#o.statePath, { onProblem });
    const events = new Map<string, AlertEvent>();
    for (const o of outcomes) {
      const prev = state.repositories[o.repository];
      const status = o.ok ? "ok" : "failing";
      const error = o.ok ? undefined : this.#redactor.redact(
        o.errorType && !(o.error ?? "").startsWith(o.errorType)
          ? `${o.errorType}: ${o.error ?? ""}`
          : o.error ?? "",
      );
      const since = prev && prev.status === status ? prev.since : now.toISOString();
      const failingSince = prev?.status === "failing" ? new Date(prev.since) : undefined;
      state.repositories[o.repository] = { status, since, error, alerted: prev?.alerted ?? {} };
      events.set(o.repository, {
        repository: o.repository,
        run: o.run || undefined,
        kind: o.ok ? "recovery" : "failure",
        error,
        errorType: o.ok ? undefined : o.errorType,
        sessionId: run.sessionId,
        logFile: run.logFile,
        at: now,
        failingSince: o.ok ? failingSince : (failingSince ?? now),
      });
    }
    for (const channel of this.channels) {
      const due = (kind: AlertEvent["kind"]) =>
        [...events.values()].filter((e) => {
          const told = state.repositories[e.repository].alerted[channel] ?? "ok";
          return kind === e.kind && (kind === "failure" ? told === "ok" : told === "failing");
        });
      const failures = due("failure");
      let recoveries = due("recovery");
      if (channel === "slack" && this.#config?.slack?.notify_on_recovery === false) {
        for (const e of recoveries) state.repositories[e.repository].alerted.slack = "ok";
        recoveries = [];
      }
      await this.#deliver(channel, failures, recoveries, state, result);
    }
    try {
      saveAlertState(this.#o.statePath, state);
    } catch (e) {
      onProblem(`Cannot save alert state "${this.#o.statePath}": ${(e as Error).message}`);
    }
  }

  async #deliver(
    channel: Channel,
    failures: AlertEvent[],
    recoveries: AlertEvent[],
    state: AlertState,
    result: NotifyReport,
  ): Promise<void> {
    const mark = (events: AlertEvent[]) => {
      for (const e of events) {
        state.repositories[e.repository].alerted[channel] = e.kind === "failure" ? "failing" : "ok";
      }
      if (events.length > 0) {
        result.sent.push({ channel, kind: events[0].kind, repositories: events.map((e) => e.repository) });
      }
    };
    const send = { fetch: this.#o.fetch, sleep: this.#o.sleep };
    try {
      if (channel === "slack") {
        const slack = this.#config!.slack!;
        for (const group of [failures, recoveries]) {
          const payloads = slackMessages(group, slack);
          for (let i = 0; i < payloads.length; i++) {
            await postSlack(slack, payloads[i], send);
            mark(payloads.length === group.length ? [group[i]] : group);
          }
        }
      } else {
        const pd = this.#config!.pagerduty!;
        const hostname = this.#o.hostname ?? safeHostname();
        for (const e of [...failures, ...recoveries]) {
          await sendPagerDuty(pd, pagerDutyEvent(e, pd, { hostname }), send);
          mark([e]);
        }
      }
    } catch (e) {
      const message = `Cannot send ${channel === "slack" ? "Slack" : "PagerDuty"} notification: ${
        this.#redactor.redact((e as Error).message)
      }. It is retried on the next run`;
      result.failed.push({ channel, message });
      this.#log.warning(message, { error_type: "NotificationError", channel });
    }
  }
}

function safeHostname(): string {
  try {
    return hostname();
  } catch {
    return "repo-cloner";
  }
}
