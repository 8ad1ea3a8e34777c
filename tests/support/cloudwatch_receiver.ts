/**
 * A local CloudWatch Logs endpoint for tests: the AWS JSON 1.1 protocol (`POST /`,
 * `Content-Type: application/x-amz-json-1.1`, `X-Amz-Target: Logs_20140328.<Operation>`, SigV4
 * `Authorization`), with CreateLogGroup, CreateLogStream, DescribeLogStreams and PutLogEvents. Every
 * PutLogEvents is validated against the documented constraints
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html):
 * 1–10 000 events, chronological order, ≤ 1 048 576 bytes counting UTF-8 message bytes + 26 per event,
 * ≤ 24 h span, each event ≤ 256 KB. Errors are answered as AWS does (`__type` + `x-amzn-errortype`).
 */
import type { IncomingMessage } from "node:http";
import { type Receiver, startReceiver, type Verdict } from "./receivers.ts";

/** One stored log event. */
export interface StoredEvent {
  group: string;
  stream: string;
  timestamp: number;
  message: string;
}

/** A running CloudWatch Logs receiver. */
export interface CloudWatchReceiver extends Receiver<StoredEvent> {
  /** Log groups → streams → events. */
  groups: Map<string, Map<string, StoredEvent[]>>;
  /** Number of events in each accepted PutLogEvents call, in order. */
  batches: number[];
  /** Operations called, in order (`CreateLogStream`, `PutLogEvents`, ...). */
  operations: string[];
  /** Credential scopes seen (`<AKID>/<date>/<region>/logs/aws4_request`). */
  scopes: string[];
}

/** Starts the receiver; `groups` lists log groups that exist from the start. */
export async function startCloudWatchReceiver(
  options: { groups?: string[] } = {},
): Promise<CloudWatchReceiver> {
  const groups = new Map<string, Map<string, StoredEvent[]>>();
  for (const g of options.groups ?? []) groups.set(g, new Map());
  const batches: number[] = [];
  const operations: string[] = [];
  const scopes: string[] = [];
  const receiver = await startReceiver<StoredEvent>((req, body) => {
    const v = handle(req, body, groups, scopes);
    if ("accept" in v) {
      const op = String(req.headers["x-amz-target"]).split(".")[1];
      operations.push(op);
      if (op === "PutLogEvents") batches.push(v.accept.length);
    }
    return v;
  });
  return Object.assign(receiver, { groups, batches, operations, scopes });
}

function awsError(type: string, message: string, status = 400): Verdict<StoredEvent> {
  return {
    reject: `${type}: ${message}`,
    status,
    body: JSON.stringify({ __type: type, message }),
    headers: { "x-amzn-errortype": type, "content-type": "application/x-amz-json-1.1" },
  };
}

function ok(body: unknown, accept: StoredEvent[] = []): Verdict<StoredEvent> {
  return {
    accept,
    status: 200,
    body: JSON.stringify(body),
    headers: { "content-type": "application/x-amz-json-1.1" },
  };
}

const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=([A-Za-z0-9]+\/\d{8}\/[a-z0-9-]+\/logs\/aws4_request), ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]{64}$/;

function handle(
  req: IncomingMessage,
  body: string,
  groups: Map<string, Map<string, StoredEvent[]>>,
  scopes: string[],
): Verdict<StoredEvent> {
  if (req.method !== "POST" || req.url !== "/") {
    return awsError("UnknownOperationException", `${req.method} ${req.url}`);
  }
  if (req.headers["content-type"] !== "application/x-amz-json-1.1") {
    return awsError("SerializationException", `content-type ${req.headers["content-type"]}`);
  }
  const sig = SIGV4.exec(String(req.headers.authorization ?? ""));
  if (!sig || !req.headers["x-amz-date"]) {
    return awsError("MissingAuthenticationTokenException", "not SigV4 signed", 403);
  }
  scopes.push(sig[1]);
  const target = String(req.headers["x-amz-target"] ?? "");
  const m = /^Logs_20140328\.(\w+)$/.exec(target);
  if (!m) return awsError("UnknownOperationException", `X-Amz-Target ${target}`);
  let input: Record<string, unknown>;
  try {
    input = JSON.parse(body);
  } catch {
    return awsError("SerializationException", "body is not JSON");
  }
  const group = input.logGroupName as string;
  const stream = input.logStreamName as string;
  switch (m[1]) {
    case "CreateLogGroup":
      if (typeof group !== "string" || !group) return awsError("InvalidParameterException", "logGroupName");
      if (groups.has(group)) {
        return awsError("ResourceAlreadyExistsException", "The specified log group already exists");
      }
      groups.set(group, new Map());
      return ok({});
    case "CreateLogStream": {
      const g = groups.get(group);
      if (!g) return awsError("ResourceNotFoundException", "The specified log group does not exist.");
      if (typeof stream !== "string" || !stream || stream.includes(":") || stream.includes("*")) {
        return awsError("InvalidParameterException", "logStreamName");
      }
      if (g.has(stream)) {
        return awsError("ResourceAlreadyExistsException", "The specified log stream already exists");
      }
      g.set(stream, []);
      return ok({});
    }
    case "DescribeLogStreams": {
      const g = groups.get(group);
      if (!g) return awsError("ResourceNotFoundException", "The specified log group does not exist.");
      return ok({ logStreams: [...g.keys()].map((logStreamName) => ({ logStreamName })) });
    }
    case "PutLogEvents":
      return putLogEvents(input, groups);
    default:
      return awsError("UnknownOperationException", m[1]);
  }
}

function putLogEvents(input: Record<string, unknown>, groups: Map<string, Map<string, StoredEvent[]>>) {
  const allowed = ["logGroupName", "logStreamName", "logEvents", "sequenceToken", "entity"];
  const unknown = Object.keys(input).filter((k) => !allowed.includes(k));
  if (unknown.length) return awsError("SerializationException", `unknown keys ${unknown}`);
  const group = input.logGroupName as string;
  const stream = input.logStreamName as string;
  const g = groups.get(group);
  if (!g) return awsError("ResourceNotFoundException", "The specified log group does not exist.");
  const s = g.get(stream);
  if (!s) return awsError("ResourceNotFoundException", "The specified log stream does not exist.");
  const events = input.logEvents;
  if (!Array.isArray(events) || events.length < 1 || events.length > 10_000) {
    return awsError(
      "InvalidParameterException",
      `logEvents count ${Array.isArray(events) ? events.length : "?"}`,
    );
  }
  let bytes = 0;
  for (const [i, e] of events.entries()) {
    if (typeof e?.timestamp !== "number" || !Number.isInteger(e.timestamp) || e.timestamp < 0) {
      return awsError("InvalidParameterException", `logEvents.${i}.timestamp`);
    }
    if (typeof e.message !== "string" || e.message.length === 0) {
      return awsError("InvalidParameterException", `logEvents.${i}.message`);
    }
    const size = Buffer.byteLength(e.message, "utf8") + 26;
    if (size > 256 * 1024) return awsError("InvalidParameterException", `logEvents.${i} over 256 KB`);
    bytes += size;
    if (i > 0 && e.timestamp < events[i - 1].timestamp) {
      return awsError(
        "InvalidParameterException",
        "Log events in a single PutLogEvents request must be in chronological order.",
      );
    }
  }
  if (bytes > 1_048_576) return awsError("InvalidParameterException", `batch of ${bytes} bytes over 1048576`);
  if (events[events.length - 1].timestamp - events[0].timestamp > 24 * 3600 * 1000) {
    return awsError(
      "InvalidParameterException",
      "A batch of log events in a single request cannot span more than 24 hours.",
    );
  }
  const stored = events.map((e) => ({ group, stream, timestamp: e.timestamp, message: e.message }));
  s.push(...stored);
  return ok({ nextSequenceToken: String(s.length).padStart(56, "0") }, stored);
}
