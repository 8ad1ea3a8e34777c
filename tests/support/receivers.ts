/**
 * Local stand-ins for the services repo-cloner talks to in operations — Slack incoming webhooks,
 * PagerDuty Events API v2, Splunk HTTP Event Collector — on 127.0.0.1 with ephemeral ports. Each one
 * VALIDATES what it receives against the service's documented schema and answers as the service does:
 * a payload that the real service would reject is rejected here too and recorded in `violations`, so a
 * test can assert there were none. CloudWatch Logs is in `cloudwatch_receiver.ts`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One received request. */
export interface Received {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Status the receiver answered. */
  status: number;
}

/** A canned answer for the next `times` requests (default 1) instead of the normal one. */
export interface Fault {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  times?: number;
}

/** A running receiver. */
export interface Receiver<T> {
  url: string;
  port: number;
  /** Every request, in order. */
  requests: Received[];
  /** Accepted payloads, parsed. */
  accepted: T[];
  /** Schema violations found (each also answered with the service's error). */
  violations: string[];
  /** Queued faults, consumed in order. */
  faults: Fault[];
  close(): Promise<void>;
}

/** What a handler returns: accept these payloads, or reject with the service's error answer. */
export type Verdict<T> =
  | { accept: T[]; status: number; body: string; headers?: Record<string, string> }
  | { reject: string; status: number; body: string; headers?: Record<string, string> };

/** Starts a validating receiver; `handle` turns a request into a verdict. */
export async function startReceiver<T>(
  handle: (req: IncomingMessage, body: string) => Verdict<T>,
): Promise<Receiver<T>> {
  const r = {
    requests: [] as Received[],
    accepted: [] as T[],
    violations: [] as string[],
    faults: [] as Fault[],
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const entry: Received = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body,
        status: 0,
      };
      r.requests.push(entry);
      const fault = r.faults[0];
      if (fault) {
        if ((fault.times ?? 1) <= 1) r.faults.shift();
        else fault.times = (fault.times ?? 1) - 1;
        entry.status = fault.status;
        res.writeHead(fault.status, { "content-type": "application/json", ...(fault.headers ?? {}) });
        res.end(fault.body ?? "");
        return;
      }
      let v: Verdict<T>;
      try {
        v = handle(req, body);
      } catch (e) {
        v = { reject: `handler crashed: ${(e as Error).message}`, status: 500, body: "" };
      }
      if ("reject" in v) r.violations.push(v.reject);
      else r.accepted.push(...v.accept);
      entry.status = v.status;
      res.writeHead(v.status, { "content-type": "application/json", ...(v.headers ?? {}) });
      res.end(v.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...r,
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/**
 * Slack incoming webhook (https://api.slack.com/messaging/webhooks): POST JSON to the webhook path;
 * the message needs `text` (≤ 40 000 characters) or `blocks`; answers `200 ok`, or `400
 * invalid_payload` / `404 no_service` like Slack.
 */
export function startSlackReceiver(webhookPath = "/services/T0000/B0000/XXXXXXXXXXXXXXXX") {
  return startReceiver<Record<string, unknown>>((req, body) => {
    const no = (why: string, status = 400, answer = "invalid_payload") => ({
      reject: why,
      status,
      body: answer,
    });
    if (req.url !== webhookPath) return no(`unknown webhook path ${req.url}`, 404, "no_service");
    if (req.method !== "POST") return no(`method ${req.method}`, 405, "invalid_method");
    if (!String(req.headers["content-type"]).startsWith("application/json")) {
      return no("content-type not JSON");
    }
    const msg = parseJson(body);
    if (!isObject(msg)) return no("body is not a JSON object");
    const hasText = typeof msg.text === "string" && msg.text.trim() !== "";
    const hasBlocks = Array.isArray(msg.blocks) && msg.blocks.length > 0;
    if (!hasText && !hasBlocks) return no("neither text nor blocks", 400, "no_text");
    if (hasText && (msg.text as string).length > 40_000) {
      return no("text over 40000 characters", 400, "msg_too_long");
    }
    for (const k of ["channel", "username", "icon_emoji", "icon_url"]) {
      if (k in msg && typeof msg[k] !== "string") return no(`${k} must be a string`);
    }
    if ("link_names" in msg && typeof msg.link_names !== "boolean" && msg.link_names !== 1) {
      return no("link_names must be boolean");
    }
    return { accept: [msg], status: 200, body: "ok" };
  });
}

const PD_SEVERITIES = ["critical", "error", "warning", "info"];

/**
 * PagerDuty Events API v2 (https://developer.pagerduty.com/api-reference/368ae3d938c9e-send-an-event-to-pager-duty):
 * POST /v2/enqueue; routing_key (32 characters), event_action trigger|acknowledge|resolve, dedup_key
 * (≤ 255, required unless triggering), and for trigger a payload with summary (≤ 1024), source and
 * severity. Answers 202 `{"status":"success","message":"Event processed","dedup_key":...}` or 400
 * `{"status":"invalid event",...}`.
 */
export function startPagerDutyReceiver() {
  return startReceiver<Record<string, unknown>>((req, body) => {
    const no = (why: string) => ({
      reject: why,
      status: 400,
      body: JSON.stringify({ status: "invalid event", message: "Event object is invalid", errors: [why] }),
    });
    if (req.method !== "POST" || req.url !== "/v2/enqueue") return no(`${req.method} ${req.url}`);
    const ev = parseJson(body);
    if (!isObject(ev)) return no("body is not a JSON object");
    const known = [
      "routing_key",
      "event_action",
      "dedup_key",
      "payload",
      "images",
      "links",
      "client",
      "client_url",
    ];
    const unknown = Object.keys(ev).filter((k) => !known.includes(k));
    if (unknown.length) return no(`unknown keys ${unknown.join(",")}`);
    if (typeof ev.routing_key !== "string" || ev.routing_key.length !== 32) {
      return no("routing_key must be 32 chars");
    }
    if (!["trigger", "acknowledge", "resolve"].includes(String(ev.event_action))) {
      return no("bad event_action");
    }
    if (ev.dedup_key !== undefined && (typeof ev.dedup_key !== "string" || ev.dedup_key.length > 255)) {
      return no("dedup_key must be a string of at most 255 characters");
    }
    if (ev.event_action !== "trigger" && !ev.dedup_key) {
      return no("dedup_key required for acknowledge/resolve");
    }
    if (ev.event_action === "trigger") {
      const p = ev.payload;
      if (!isObject(p)) return no("payload required for trigger");
      if (typeof p.summary !== "string" || !p.summary || p.summary.length > 1024) {
        return no("payload.summary");
      }
      if (typeof p.source !== "string" || !p.source) return no("payload.source");
      if (!PD_SEVERITIES.includes(String(p.severity))) return no("payload.severity");
      if (p.timestamp !== undefined && !Number.isFinite(Date.parse(String(p.timestamp)))) {
        return no("payload.timestamp");
      }
      for (const k of ["component", "group", "class"]) {
        if (p[k] !== undefined && typeof p[k] !== "string") return no(`payload.${k} must be a string`);
      }
      if (p.custom_details !== undefined && !isObject(p.custom_details)) return no("payload.custom_details");
    }
    const dedup = ev.dedup_key ?? crypto.randomUUID();
    return {
      accept: [ev],
      status: 202,
      body: JSON.stringify({ status: "success", message: "Event processed", dedup_key: dedup }),
    };
  });
}

/** Splits a body of concatenated JSON objects (the HEC batch format) into the objects' texts. */
export function splitConcatenatedJson(body: string): string[] {
  const out: string[] = [];
  let depth = 0, start = -1, inString = false, escaped = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") {
      if (depth++ === 0) start = i;
    } else if (c === "}") {
      if (--depth === 0) out.push(body.slice(start, i + 1));
    } else if (depth === 0 && !/\s/.test(c)) throw new SyntaxError(`unexpected "${c}" between events`);
  }
  if (depth !== 0 || inString) throw new SyntaxError("truncated event");
  return out;
}

/**
 * Splunk HTTP Event Collector (https://docs.splunk.com/Documentation/Splunk/latest/Data/FormateventsforHTTPEventCollector):
 * POST /services/collector/event with `Authorization: Splunk <token>`; body one or more envelopes
 * `{time, host, source, sourcetype, index, fields, event}` (event required, non-blank; time epoch
 * seconds). Answers `{"text":"Success","code":0}` or Splunk's error codes.
 */
export function startSplunkReceiver(token: string, options: { indexes?: string[] } = {}) {
  return startReceiver<Record<string, unknown>>((req, body) => {
    const no = (why: string, status: number, text: string, code: number) => ({
      reject: why,
      status,
      body: JSON.stringify({ text, code }),
    });
    if (req.method !== "POST" || !/^\/services\/collector\/event\/?$/.test(req.url ?? "")) {
      return no(`${req.method} ${req.url}`, 404, "The requested URL was not found on this server.", 404);
    }
    const auth = req.headers.authorization;
    if (!auth) return no("no Authorization", 401, "Token is required", 2);
    if (auth !== `Splunk ${token}`) return no("wrong token", 403, "Invalid token", 4);
    let parts: string[];
    try {
      parts = splitConcatenatedJson(body);
    } catch (e) {
      return no(`invalid data format: ${(e as Error).message}`, 400, "Invalid data format", 6);
    }
    if (parts.length === 0) return no("no data", 400, "No data", 5);
    const events: Record<string, unknown>[] = [];
    const allowed = ["time", "host", "source", "sourcetype", "index", "fields", "event"];
    for (const [i, text] of parts.entries()) {
      const ev = parseJson(text);
      if (!isObject(ev)) return no(`event ${i} not an object`, 400, "Invalid data format", 6);
      const unknown = Object.keys(ev).filter((k) => !allowed.includes(k));
      if (unknown.length) return no(`event ${i} unknown keys ${unknown}`, 400, "Invalid data format", 6);
      if (!("event" in ev) || ev.event === null) {
        return no(`event ${i} no event`, 400, "Event field is required", 12);
      }
      if (ev.event === "") return no(`event ${i} blank`, 400, "Event field cannot be blank", 13);
      if (ev.time !== undefined && (typeof ev.time !== "number" || ev.time <= 0)) {
        return no(`event ${i} time`, 400, "Invalid data format", 6);
      }
      for (const k of ["host", "source", "sourcetype", "index"]) {
        if (ev[k] !== undefined && typeof ev[k] !== "string") {
          return no(`event ${i} ${k}`, 400, "Invalid data format", 6);
        }
      }
      if (options.indexes && ev.index !== undefined && !options.indexes.includes(ev.index as string)) {
        return no(`event ${i} index ${ev.index}`, 400, "Incorrect index", 7);
      }
      events.push(ev);
    }
    return { accept: events, status: 200, body: JSON.stringify({ text: "Success", code: 0 }) };
  });
}
