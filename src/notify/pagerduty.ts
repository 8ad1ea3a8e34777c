import type { PagerDutyConfig } from "../config/ops_schema.ts";
import type { AlertEvent } from "./alert_event.ts";
import { postJson } from "./http_post.ts";

/** A PagerDuty Events API v2 event (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/). */
export interface PagerDutyEvent {
  routing_key: string;
  event_action: "trigger" | "resolve";
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: "info" | "warning" | "error" | "critical";
    timestamp: string;
    component: string;
    group: string;
    class?: string;
    custom_details: Record<string, string | undefined>;
  };
  client?: string;
}

const SUMMARY_MAX = 1024;

/** `<prefix>/<repository>` (`<prefix>/run:<scope>` for the run itself): one incident per repository however many runs fail. */
export function pagerDutyDedupKey(prefix: string, repository: string): string {
  return `${prefix}/${repository}`.slice(0, 255);
}

/**
 * Builds the event for a transition: `trigger` (with payload) for a failure, `resolve` with the same
 * dedup key for a recovery.
 */
export function pagerDutyEvent(
  event: AlertEvent,
  config: Pick<PagerDutyConfig, "integration_key" | "severity" | "dedup_key_prefix" | "source">,
  options: { hostname: string },
): PagerDutyEvent {
  const base = {
    routing_key: config.integration_key ?? "",
    dedup_key: pagerDutyDedupKey(config.dedup_key_prefix, event.repository),
  };
  if (event.kind === "recovery") return { ...base, event_action: "resolve" };
  const what = event.run
    ? `Sync run failed: ${event.repository.replace(/^run:/, "")}`
    : `Repository sync failed: ${event.repository}`;
  const summary = `${what}: ${event.error ?? "unknown error"}`;
  return {
    ...base,
    event_action: "trigger",
    payload: {
      summary: summary.length > SUMMARY_MAX ? summary.slice(0, SUMMARY_MAX - 1) + "…" : summary,
      source: config.source ?? options.hostname,
      severity: config.severity,
      timestamp: event.at.toISOString(),
      component: event.run ? "run" : event.repository,
      group: "repo-cloner",
      class: event.errorType,
      custom_details: {
        repository: event.run ? undefined : event.repository,
        run: event.run ? event.repository.replace(/^run:/, "") : undefined,
        error: event.error,
        session_id: event.sessionId,
        log_file: event.logFile,
        failing_since: event.failingSince?.toISOString(),
      },
    },
    client: "repo-cloner",
  };
}

/**
 * Sends one event to the Events API (`events_url`, default https://events.pagerduty.com/v2/enqueue),
 * which answers 202 `{"status":"success"}`.
 * @throws DeliveryError naming the host and PagerDuty's answer.
 */
export async function sendPagerDuty(
  config: PagerDutyConfig,
  event: PagerDutyEvent,
  options: { fetch?: typeof fetch; sleep?: (ms: number) => Promise<void> } = {},
): Promise<void> {
  await postJson(config.events_url, event, {
    timeoutMs: config.timeout_seconds * 1000,
    fetch: options.fetch,
    sleep: options.sleep,
  });
}
