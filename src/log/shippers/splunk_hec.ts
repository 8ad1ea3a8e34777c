import { hostname } from "node:os";
import type { IntegrationsConfig } from "../../config/ops_schema.ts";
import { Batcher } from "./batcher.ts";
import { isOwnWarning, type LogShipper, recordTimeMs } from "./shipper.ts";

/** Validated `logging.integrations.splunk`. */
export type SplunkConfig = NonNullable<IntegrationsConfig["splunk"]>;

/** Options of {@link createSplunkShipper}. */
export interface SplunkShipperOptions {
  fetch?: typeof fetch;
  /** `host` of each event. Default `os.hostname()`. */
  host?: string;
  /** Told about delivery problems (the URL and token never appear). */
  onWarning?: (message: string) => void;
  /** Overrides for the batcher (tests). */
  closeTimeoutMs?: number;
}

/** Splunk's documented per-request ceiling on Splunk Cloud; Enterprise allows more. */
const MAX_REQUEST_BYTES = 1_000_000;

/** The HEC event endpoint for a configured URL: `<url>/services/collector/event` unless already given. */
export function hecEventUrl(url: string): string {
  const u = new URL(url);
  if (!/\/services\/collector(\/event)?\/?$/.test(u.pathname)) {
    u.pathname = u.pathname.replace(/\/+$/, "") + "/services/collector/event";
  } else if (!u.pathname.replace(/\/+$/, "").endsWith("/event")) {
    u.pathname = u.pathname.replace(/\/+$/, "") + "/event";
  }
  return u.toString();
}

/**
 * Ships log records to a Splunk HTTP Event Collector: batched envelopes
 * `{time, host, source, sourcetype, index, event}` concatenated in one POST to
 * `/services/collector/event` with `Authorization: Splunk <token>`. Flushes when a batch is full, every
 * `flush_interval_seconds`, and on close. Failures are reported through `onWarning`, never thrown.
 */
export function createSplunkShipper(config: SplunkConfig, options: SplunkShipperOptions = {}): LogShipper {
  const url = hecEventUrl(config.url ?? "");
  const host = options.host ?? hostname();
  const endpointHost = new URL(url).host;
  const doFetch = options.fetch ?? fetch;
  const batcher = new Batcher<string>({
    maxBatchCount: config.batch_size,
    maxBatchBytes: MAX_REQUEST_BYTES,
    sizeOf: (s) => Buffer.byteLength(s) + 1,
    flushIntervalMs: config.flush_interval_seconds * 1000,
    closeTimeoutMs: options.closeTimeoutMs,
    onWarning: (m) => options.onWarning?.(`Splunk HEC ${endpointHost}: ${m}`),
    send: async (batch) => {
      let res: Response;
      try {
        res = await doFetch(url, {
          method: "POST",
          headers: { authorization: `Splunk ${config.token}`, "content-type": "application/json" },
          body: batch.join("\n"),
          signal: AbortSignal.timeout(config.timeout_seconds * 1000),
        });
      } catch (e) {
        throw new Error(`unreachable: ${(e as Error).message.split(url).join(endpointHost)}`);
      }
      const text = (await res.text()).slice(0, 300).replace(/\s+/g, " ").trim();
      if (!res.ok) throw new Error(`HTTP ${res.status}${text ? ` ${text}` : ""}`);
    },
  });
  return {
    name: "splunk",
    stats: batcher.stats,
    sink: (record) => {
      if (isOwnWarning(record, "splunk")) return;
      const envelope: Record<string, unknown> = {
        time: recordTimeMs(record) / 1000,
        host,
        source: config.source,
        sourcetype: config.sourcetype,
      };
      if (config.index) envelope.index = config.index;
      envelope.event = record;
      batcher.push(JSON.stringify(envelope));
    },
    flush: () => batcher.flush(),
    close: () => batcher.close(),
  };
}
