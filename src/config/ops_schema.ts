/**
 * Config schema for operations (spec "Monitoring & Operations"): `metrics`,
 * `error_handling.notifications` and `logging.integrations`. Strict: unknown keys are errors.
 * Enabled sections must carry their endpoint and credentials; disabled ones may leave them empty.
 */
import { z } from "zod";

const httpUrl = z.string().refine((s) => {
  try {
    return ["http:", "https:"].includes(new URL(s).protocol);
  } catch {
    return false;
  }
}, { message: "must be an http(s) URL" });

const timeout = z.number().positive().max(300).default(10);

/** Requires `keys` when `enabled` is true, naming the missing key. */
function requiredWhenEnabled<T extends { enabled: boolean }>(keys: (keyof T & string)[]) {
  return (value: T, ctx: z.RefinementCtx) => {
    if (!value.enabled) return;
    for (const key of keys) {
      const v = value[key];
      if (v === undefined || v === "") {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `required when enabled (set it or enabled: false)`,
        });
      }
    }
  };
}

/** `metrics`: Prometheus textfile, Pushgateway and scheduled-mode listener. */
export const metricsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** node_exporter textfile collector file, e.g. /var/lib/node_exporter/textfile/repo_cloner.prom. */
  textfile: z.string().min(1).optional(),
  /** Pushgateway base URL; the group is /metrics/job/<job>. */
  pushgateway_url: httpUrl.optional(),
  job: z.string().min(1).default("repo-cloner"),
  /** Extra Pushgateway grouping labels. */
  grouping: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string()).optional(),
  /** Scheduled mode's /metrics and /healthz listener: host:port, :port or port. */
  listen: z.string().regex(/^(?:(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?\d{1,5}$/, {
    message: "must be host:port, :port or port",
  }).optional(),
  /** /healthz turns 503 after this many failed runs in a row. */
  unhealthy_after: z.number().int().positive().default(3),
  /** Where counters persist between one-shot runs. Default: <state dir>/metrics-state.json. */
  state_file: z.string().min(1).optional(),
  timeout_seconds: timeout,
});

const slackSchema = z.strictObject({
  enabled: z.boolean().default(true),
  webhook_url: z.union([httpUrl, z.literal("")]).optional(),
  channel: z.string().optional(),
  mention_on_failure: z.string().optional(),
  /** Also post "✅ Repository Sync Recovered" when a failing repository syncs again. */
  notify_on_recovery: z.boolean().default(true),
  username: z.string().optional(),
  timeout_seconds: timeout,
}).superRefine(requiredWhenEnabled(["webhook_url"]));

const pagerDutySchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** The Integration Key (routing key) of an Events API v2 integration: 32 characters. */
  integration_key: z.union([
    z.string().regex(/^[A-Za-z0-9]{32}$/, {
      message: "must be the 32-character Integration Key of a PagerDuty Events API v2 integration",
    }),
    z.literal(""),
  ]).optional(),
  severity: z.enum(["info", "warning", "error", "critical"]).default("error"),
  events_url: httpUrl.default("https://events.pagerduty.com/v2/enqueue"),
  /** dedup_key is `<prefix>/<repository>`: one incident per repository. */
  dedup_key_prefix: z.string().min(1).default("repo-cloner"),
  /** payload.source. Default: the host name. */
  source: z.string().min(1).optional(),
  timeout_seconds: timeout,
}).superRefine(requiredWhenEnabled(["integration_key"]));

/** `error_handling`: notifications on failure transitions. */
export const errorHandlingSchema = z.strictObject({
  notifications: z.strictObject({
    slack: slackSchema.optional(),
    pagerduty: pagerDutySchema.optional(),
    /** Last alerted state per repository. Default: <state dir>/alert-state.json. */
    state_file: z.string().min(1).optional(),
  }).optional(),
});

const batching = {
  /** Events per request (Splunk); CloudWatch caps at 10 000. */
  batch_size: z.number().int().positive().max(10_000).default(500),
  flush_interval_seconds: z.number().positive().max(3600).default(5),
  timeout_seconds: timeout,
};

/** `logging.integrations`: log shippers. */
export const integrationsSchema = z.strictObject({
  splunk: z.strictObject({
    enabled: z.boolean().default(true),
    /** HEC base URL (https://splunk.example.com:8088) or the full /services/collector/event URL. */
    url: z.union([httpUrl, z.literal("")]).optional(),
    token: z.string().optional(),
    index: z.string().optional(),
    sourcetype: z.string().min(1).default("repo_cloner"),
    source: z.string().min(1).default("repo-cloner"),
    ...batching,
  }).superRefine(requiredWhenEnabled(["url", "token"])).optional(),
  cloudwatch: z.strictObject({
    enabled: z.boolean().default(true),
    log_group: z.string().optional(),
    log_stream: z.string().optional(),
    region: z.string().optional(),
    /** Endpoint override (VPC endpoint, LocalStack, a test receiver). */
    endpoint: httpUrl.optional(),
    /** Create the log group when it does not exist (needs logs:CreateLogGroup). */
    create_log_group: z.boolean().default(false),
    ...batching,
  }).superRefine(requiredWhenEnabled(["log_group", "log_stream", "region"])).optional(),
});

/** Validated `metrics` section. */
export type MetricsConfig = z.infer<typeof metricsSchema>;
/** Validated `error_handling.notifications` section. */
export type NotificationsConfig = NonNullable<z.infer<typeof errorHandlingSchema>["notifications"]>;
/** Validated `error_handling.notifications.slack`. */
export type SlackConfig = z.infer<typeof slackSchema>;
/** Validated `error_handling.notifications.pagerduty`. */
export type PagerDutyConfig = z.infer<typeof pagerDutySchema>;
/** Validated `logging.integrations` section. */
export type IntegrationsConfig = z.infer<typeof integrationsSchema>;
