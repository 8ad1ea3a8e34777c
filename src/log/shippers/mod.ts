/**
 * Log shippers (`logging.integrations`): Splunk HEC and CloudWatch Logs, attached to a {@link Logger}
 * as sinks. Import from here.
 */
import type { IntegrationsConfig } from "../../config/ops_schema.ts";
import type { Logger } from "../logger.ts";
import { type CloudWatchShipperOptions, createCloudWatchShipper } from "./cloudwatch_logs.ts";
import { type LogShipper, SHIPPER_LOGGER } from "./shipper.ts";
import { createSplunkShipper } from "./splunk_hec.ts";

export type { LogShipper } from "./shipper.ts";
export { createSplunkShipper } from "./splunk_hec.ts";
export { createCloudWatchShipper, planPutLogEvents } from "./cloudwatch_logs.ts";

/** Options of {@link attachShippers}. */
export interface AttachShippersOptions {
  /** fetch for Splunk. Default the global one. */
  fetch?: typeof fetch;
  /** Static AWS credentials for CloudWatch. Default: the AWS default credential chain. */
  cloudwatchCredentials?: CloudWatchShipperOptions["credentials"];
  /** How long close() waits for each shipper's last flush. Default 15 000 ms. */
  closeTimeoutMs?: number;
}

/** The shippers attached to one logger. */
export interface AttachedShippers {
  readonly shippers: LogShipper[];
  /** Sends everything queued. Never rejects. */
  flush(): Promise<void>;
  /** Flushes and stops every shipper (in parallel, each bounded in time). Never rejects. */
  close(): Promise<void>;
}

/**
 * Builds the enabled shippers of `logging.integrations` and adds each as a sink of `logger`, so every
 * record (already redacted by the logger) is shipped too. Delivery problems are logged at WARNING by
 * `repo_cloner.log_shipper` with `shipper: <name>`; a shipper does not ship its own warnings. Call
 * `close()` before the process ends, after the last record.
 */
export function attachShippers(
  logger: Logger,
  integrations: IntegrationsConfig | undefined,
  options: AttachShippersOptions = {},
): AttachedShippers {
  const shippers: LogShipper[] = [];
  const warn = (shipper: string) => (message: string) =>
    logger.emit("WARNING", SHIPPER_LOGGER, `Log shipping problem: ${message}`, {
      shipper,
      error_type: "LogShippingError",
    });
  const splunk = integrations?.splunk;
  if (splunk?.enabled) {
    shippers.push(createSplunkShipper(splunk, {
      fetch: options.fetch,
      onWarning: warn("splunk"),
      closeTimeoutMs: options.closeTimeoutMs,
    }));
  }
  const cw = integrations?.cloudwatch;
  if (cw?.enabled) {
    shippers.push(createCloudWatchShipper(cw, {
      credentials: options.cloudwatchCredentials,
      onWarning: warn("cloudwatch"),
      closeTimeoutMs: options.closeTimeoutMs,
    }));
  }
  for (const s of shippers) logger.addSink(s.sink);
  return {
    shippers,
    flush: async () => {
      await Promise.all(shippers.map((s) => s.flush()));
    },
    close: async () => {
      await Promise.all(shippers.map((s) => s.close()));
    },
  };
}
