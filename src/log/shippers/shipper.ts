import type { LogRecord, LogSink } from "../logger.ts";
import type { BatcherStats } from "./batcher.ts";

/** A log shipper: a sink for the logger plus asynchronous flush and close. */
export interface LogShipper {
  /** `splunk` or `cloudwatch`; its own warnings carry `shipper: <name>` and are not shipped by it. */
  readonly name: string;
  /** Hand to `Logger.addSink`. Never throws, never blocks. */
  readonly sink: LogSink;
  /** Sends everything queued. Never rejects. */
  flush(): Promise<void>;
  /** Flushes (bounded in time) and stops. Never rejects. */
  close(): Promise<void>;
  readonly stats: BatcherStats;
}

/** Logger name of shipper warnings: `repo_cloner.log_shipper`. */
export const SHIPPER_LOGGER = "repo_cloner.log_shipper";

/** True for a shipper's own warning records, which that shipper must not ship (no feedback loop). */
export function isOwnWarning(record: LogRecord, name: string): boolean {
  return record.logger === SHIPPER_LOGGER && record.shipper === name;
}

/** Epoch milliseconds of a record's ISO timestamp; now when unparseable. */
export function recordTimeMs(record: LogRecord): number {
  const t = Date.parse(record.timestamp);
  return Number.isFinite(t) ? t : Date.now();
}
