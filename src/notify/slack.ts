import type { SlackConfig } from "../config/ops_schema.ts";
import { type AlertEvent, alertTime } from "./alert_event.ts";
import { postJson } from "./http_post.ts";

/** Above this many transitions in one run, Slack gets one summary message instead of one each. */
export const SLACK_AGGREGATE_ABOVE = 5;
const LIST_MAX = 20;
const ERROR_MAX = 1_000;

/** A Slack incoming-webhook payload (https://api.slack.com/messaging/webhooks). */
export interface SlackPayload {
  text: string;
  channel?: string;
  username?: string;
  link_names?: boolean;
}

/** Escapes the three characters Slack's mrkdwn reserves (`&`, `<`, `>`). */
export function slackEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * `@here`, `@channel`, `@everyone` become Slack's special mentions; `<...>` (`<@U123>`,
 * `<!subteam^S123>`) passes as is; anything else (`@platform-oncall`) is sent as text with
 * `link_names`, which makes Slack resolve user and user-group handles.
 */
function mention(m: string): { text: string; linkNames: boolean } {
  const t = m.trim();
  const special = /^@(here|channel|everyone)$/.exec(t);
  if (special) return { text: `<!${special[1]}>`, linkNames: false };
  if (/^<[^<>]+>$/.test(t)) return { text: t, linkNames: false };
  return { text: slackEscape(t), linkNames: true };
}

/**
 * Builds the messages for one run's transitions of one kind: one message per repository in the
 * spec's layout ("🚨 Repository Sync Failed", Repository, Error, Session ID, Time, Logs, mention), or
 * one summary listing them all when more than {@link SLACK_AGGREGATE_ABOVE} changed at once (Slack
 * allows about one webhook message per second).
 */
export function slackMessages(
  events: AlertEvent[],
  config: Pick<SlackConfig, "channel" | "mention_on_failure" | "username">,
): SlackPayload[] {
  if (events.length === 0) return [];
  const runs = events.filter((e) => e.run).map((e) => renderRun(e, config));
  const repos = events.filter((e) => !e.run);
  if (repos.length === 0) return runs;
  if (repos.length <= SLACK_AGGREGATE_ABOVE) return [...runs, ...repos.map((e) => render([e], config))];
  return [...runs, render(repos, config)];
}

/** A run-level transition: "🚨 Sync Run Failed" naming the sources instead of a repository. */
function renderRun(
  e: AlertEvent,
  config: Pick<SlackConfig, "channel" | "mention_on_failure" | "username">,
): SlackPayload {
  const failure = e.kind === "failure";
  const lines = [
    failure ? "🚨 Sync Run Failed" : "✅ Sync Run Recovered",
    "",
    `Run: ${slackEscape(e.repository.replace(/^run:/, ""))}`,
  ];
  if (failure) lines.push(`Error: ${slackEscape(clip(e.error ?? "unknown error"))}`);
  else if (e.failingSince) lines.push(`Failing since: ${alertTime(e.failingSince)}`);
  return finishPayload(lines, e, config);
}

function render(
  events: AlertEvent[],
  config: Pick<SlackConfig, "channel" | "mention_on_failure" | "username">,
): SlackPayload {
  const first = events[0];
  const failure = first.kind === "failure";
  const title = failure ? "🚨 Repository Sync Failed" : "✅ Repository Sync Recovered";
  const lines: string[] = [];
  if (events.length === 1) {
    lines.push(title, "", `Repository: ${slackEscape(first.repository)}`);
    if (failure) lines.push(`Error: ${slackEscape(clip(first.error ?? "unknown error"))}`);
    else if (first.failingSince) lines.push(`Failing since: ${alertTime(first.failingSince)}`);
  } else {
    lines.push(`${title}: ${events.length} repositories`, "", "Repositories:");
    for (const e of events.slice(0, LIST_MAX)) {
      const why = failure ? `: ${slackEscape(clip(e.error ?? "unknown error", 200))}` : "";
      lines.push(`• ${slackEscape(e.repository)}${why}`);
    }
    if (events.length > LIST_MAX) lines.push(`…and ${events.length - LIST_MAX} more`);
  }
  return finishPayload(lines, first, config);
}

/** Session, time, logs and the mention: the tail every message shares. */
function finishPayload(
  lines: string[],
  first: AlertEvent,
  config: Pick<SlackConfig, "channel" | "mention_on_failure" | "username">,
): SlackPayload {
  const failure = first.kind === "failure";
  lines.push(`Session ID: ${slackEscape(first.sessionId)}`, `Time: ${alertTime(first.at)}`);
  if (first.logFile) lines.push("", `Logs: ${slackEscape(first.logFile)}`);
  let linkNames = false;
  if (failure && config.mention_on_failure?.trim()) {
    const m = mention(config.mention_on_failure);
    lines.push("", m.text);
    linkNames = m.linkNames;
  }
  const payload: SlackPayload = { text: lines.join("\n") };
  if (config.channel) payload.channel = config.channel;
  if (config.username) payload.username = config.username;
  if (linkNames) payload.link_names = true;
  return payload;
}

function clip(s: string, max = ERROR_MAX): string {
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}

/**
 * Posts one payload to a Slack incoming webhook. Slack answers `200 ok`; anything else is an error.
 * @throws DeliveryError (from postJson) naming the host and Slack's answer.
 */
export async function postSlack(
  config: SlackConfig,
  payload: SlackPayload,
  options: { fetch?: typeof fetch; sleep?: (ms: number) => Promise<void> } = {},
): Promise<void> {
  await postJson(config.webhook_url ?? "", payload, {
    timeoutMs: config.timeout_seconds * 1000,
    fetch: options.fetch,
    sleep: options.sleep,
  });
}
