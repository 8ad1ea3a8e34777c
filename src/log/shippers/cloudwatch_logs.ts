import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import type { IntegrationsConfig } from "../../config/ops_schema.ts";
import { Batcher } from "./batcher.ts";
import { isOwnWarning, type LogShipper, recordTimeMs } from "./shipper.ts";

/** Validated `logging.integrations.cloudwatch`. */
export type CloudWatchConfig = NonNullable<IntegrationsConfig["cloudwatch"]>;

/** One CloudWatch log event. */
export interface CloudWatchEvent {
  timestamp: number;
  message: string;
}

/** PutLogEvents limits (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html). */
export const PUT_LOG_EVENTS_LIMITS = {
  maxEvents: 10_000,
  maxBatchBytes: 1_048_576,
  perEventOverhead: 26,
  maxEventBytes: 256 * 1024,
  maxSpanMs: 24 * 3600 * 1000,
} as const;

/** Bytes an event counts for in a batch: UTF-8 message bytes + 26. */
export function eventSize(e: CloudWatchEvent): number {
  return Buffer.byteLength(e.message, "utf8") + PUT_LOG_EVENTS_LIMITS.perEventOverhead;
}

/**
 * Splits events into PutLogEvents calls: each sorted by timestamp, at most 10 000 events, at most
 * 1 048 576 bytes (message bytes + 26 each) and spanning less than 24 hours.
 */
export function planPutLogEvents(events: CloudWatchEvent[]): CloudWatchEvent[][] {
  const L = PUT_LOG_EVENTS_LIMITS;
  const sorted = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.timestamp - b.e.timestamp || a.i - b.i)
    .map((x) => x.e);
  const out: CloudWatchEvent[][] = [];
  let cur: CloudWatchEvent[] = [];
  let bytes = 0;
  for (const e of sorted) {
    const size = eventSize(e);
    if (
      cur.length > 0 &&
      (cur.length >= L.maxEvents || bytes + size > L.maxBatchBytes ||
        e.timestamp - cur[0].timestamp >= L.maxSpanMs)
    ) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(e);
    bytes += size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** A record as a CloudWatch message: its JSON line, shortened (still valid JSON) when over 256 KB. */
export function toCloudWatchEvent(record: Record<string, unknown> & { timestamp: string }): CloudWatchEvent {
  const timestamp = recordTimeMs(record as never);
  let message = JSON.stringify(record);
  const max = PUT_LOG_EVENTS_LIMITS.maxEventBytes - PUT_LOG_EVENTS_LIMITS.perEventOverhead;
  if (Buffer.byteLength(message, "utf8") > max) {
    const original = Buffer.byteLength(message, "utf8");
    const { timestamp: ts, level, logger, session_id, repository } = record;
    message = JSON.stringify({
      timestamp: ts,
      level,
      logger,
      session_id,
      repository,
      message: String(record.message ?? "").slice(0, 4096),
      truncated: true,
      original_bytes: original,
    });
  }
  return { timestamp, message };
}

/** Options of {@link createCloudWatchShipper}. */
export interface CloudWatchShipperOptions {
  /** A client to use (tests). Default: one built from config (region, endpoint, default credential chain). */
  client?: CloudWatchLogsClient;
  /** Static credentials instead of the default chain (tests, or callers that resolved them). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  onWarning?: (message: string) => void;
  closeTimeoutMs?: number;
}

/**
 * Ships log records to CloudWatch Logs with `@aws-sdk/client-cloudwatch-logs`: creates the log stream
 * when missing (and the group, with `create_log_group: true`), then PutLogEvents in batches within the
 * documented limits. Failures go to `onWarning`, never thrown.
 */
export function createCloudWatchShipper(
  config: CloudWatchConfig,
  options: CloudWatchShipperOptions = {},
): LogShipper {
  const timeoutMs = config.timeout_seconds * 1000;
  const client = options.client ?? new CloudWatchLogsClient({
    region: config.region,
    endpoint: config.endpoint,
    credentials: options.credentials,
    maxAttempts: 3,
    requestHandler: { requestTimeout: timeoutMs, connectionTimeout: Math.min(timeoutMs, 5_000) },
  });
  const group = config.log_group ?? "";
  const stream = config.log_stream ?? "";
  const opts = () => ({ abortSignal: AbortSignal.timeout(timeoutMs) });
  let streamReady = false;
  const ensureStream = async () => {
    try {
      await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }), opts());
    } catch (e) {
      const name = (e as Error).name;
      if (name === "ResourceAlreadyExistsException") return;
      if (name !== "ResourceNotFoundException") throw e;
      if (!config.create_log_group) {
        throw new Error(`log group "${group}" does not exist. Create it or set create_log_group: true`);
      }
      await client.send(new CreateLogGroupCommand({ logGroupName: group }), opts()).catch((g: Error) => {
        if (g.name !== "ResourceAlreadyExistsException") throw g;
      });
      await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }), opts());
    }
  };
  const put = async (logEvents: CloudWatchEvent[]) => {
    const res = await client.send(
      new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents }),
      opts(),
    );
    const rejected = res.rejectedLogEventsInfo;
    if (rejected && Object.keys(rejected).length > 0) {
      options.onWarning?.(`CloudWatch Logs ${group}: some events rejected ${JSON.stringify(rejected)}`);
    }
  };
  const batcher = new Batcher<CloudWatchEvent>({
    maxBatchCount: Math.min(config.batch_size, PUT_LOG_EVENTS_LIMITS.maxEvents),
    maxBatchBytes: PUT_LOG_EVENTS_LIMITS.maxBatchBytes,
    sizeOf: eventSize,
    flushIntervalMs: config.flush_interval_seconds * 1000,
    closeTimeoutMs: options.closeTimeoutMs,
    onWarning: (m) => options.onWarning?.(`CloudWatch Logs ${group}/${stream}: ${m}`),
    send: async (events) => {
      for (const batch of planPutLogEvents(events)) {
        if (!streamReady) {
          await ensureStream();
          streamReady = true;
        }
        try {
          await put(batch);
        } catch (e) {
          if ((e as Error).name !== "ResourceNotFoundException") throw e;
          streamReady = false;
          await ensureStream();
          streamReady = true;
          await put(batch);
        }
      }
    },
  });
  return {
    name: "cloudwatch",
    stats: batcher.stats,
    sink: (record) => {
      if (!isOwnWarning(record, "cloudwatch")) batcher.push(toCloudWatchEvent(record));
    },
    flush: () => batcher.flush(),
    close: async () => {
      await batcher.close();
      if (!options.client) client.destroy();
    },
  };
}
