import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { type Redactor, redactor } from "./redact.ts";

/** Log levels in the spec's spelling. */
export type LogLevel = "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL";
const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };

/** One structured log record: the spec's fields plus event fields. */
export interface LogRecord {
  timestamp: string;
  level: LogLevel;
  logger: string;
  message: string;
  session_id: string;
  [field: string]: unknown;
}

/** Receives every record at or above the logger's level, already redacted. */
export type LogSink = (record: LogRecord) => void;

/** Parses a level name case-insensitively ("warn" and "warning" both work). Throws RangeError. */
export function parseLogLevel(name: string): LogLevel {
  const n = name.trim().toUpperCase();
  const level = (n === "WARN" ? "WARNING" : n) as LogLevel;
  if (!(level in RANK)) {
    throw new RangeError(`Cannot use log level "${name}": use one of debug, info, warning, error, critical`);
  }
  return level;
}

/** Options of {@link Logger}. */
export interface LoggerOptions {
  /** Session id stamped on every record, e.g. `sync-20251013-153000`. */
  sessionId: string;
  /** JSON-lines file to append to; created with its directory. Default: none. */
  file?: string;
  /** Minimum level. Default INFO. */
  level?: LogLevel;
  /** Redaction layer. Default: the process-wide one. */
  redactor?: Redactor;
  /** Clock, for tests. Default `() => new Date()`. */
  now?: () => Date;
}

/**
 * Structured JSON-lines logger with a session id. Records are redacted, then handed to the file
 * and to every added sink (log shippers, test collectors). Writes are synchronous appends so a crash
 * never loses a line that was logged.
 */
export class Logger {
  readonly sessionId: string;
  readonly file?: string;
  level: LogLevel;
  #fd?: number;
  #sinks: LogSink[] = [];
  #context: Record<string, unknown> = {};
  #redactor: Redactor;
  #now: () => Date;

  constructor(options: LoggerOptions) {
    this.sessionId = options.sessionId;
    this.file = options.file;
    this.level = options.level ?? "INFO";
    this.#redactor = options.redactor ?? redactor;
    this.#now = options.now ?? (() => new Date());
    if (options.file) {
      mkdirSync(dirname(options.file), { recursive: true });
      this.#fd = openSync(options.file, "a", 0o600);
    }
  }

  /** Adds a sink that receives every later record. */
  addSink(sink: LogSink): void {
    this.#sinks.push(sink);
  }

  /**
   * Fields stamped on every later record, after `session_id` (event fields of the same name win).
   * Scheduled sync sets `{ cycle: N }` so one process's cycles can be told apart in one log.
   */
  setContext(fields: Record<string, unknown>): void {
    this.#context = dropUndefined(fields);
  }

  /** A logger for one module; its records carry `logger: "repo_cloner.<name>"`. */
  child(name: string): ModuleLogger {
    return new ModuleLogger(this, `repo_cloner.${name}`);
  }

  /** Writes one record (used by {@link ModuleLogger}). */
  emit(level: LogLevel, loggerName: string, message: string, fields: Record<string, unknown> = {}): void {
    if (RANK[level] < RANK[this.level]) return;
    const record: LogRecord = this.#redactor.redactValue({
      timestamp: this.#now().toISOString(),
      level,
      logger: loggerName,
      message,
      session_id: this.sessionId,
      ...this.#context,
      ...dropUndefined(fields),
    });
    if (this.#fd !== undefined) writeSync(this.#fd, JSON.stringify(record) + "\n");
    for (const sink of this.#sinks) {
      try {
        sink(record);
      } catch {
        // A failing sink (a shipper) must never break the operation being logged.
      }
    }
  }

  /** Closes the log file. */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** A named view of a {@link Logger}. */
export class ModuleLogger {
  constructor(readonly root: Logger, readonly name: string) {}
  /** Logs at DEBUG. */
  debug(message: string, fields?: Record<string, unknown>): void {
    this.root.emit("DEBUG", this.name, message, fields);
  }
  /** Logs at INFO. */
  info(message: string, fields?: Record<string, unknown>): void {
    this.root.emit("INFO", this.name, message, fields);
  }
  /** Logs at WARNING. */
  warning(message: string, fields?: Record<string, unknown>): void {
    this.root.emit("WARNING", this.name, message, fields);
  }
  /** Logs at ERROR. */
  error(message: string, fields?: Record<string, unknown>): void {
    this.root.emit("ERROR", this.name, message, fields);
  }
}

function dropUndefined(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out;
}

/** A logger that writes nowhere; the default for library calls that were given none. */
export function nullLogger(): ModuleLogger {
  return new Logger({ sessionId: "none", level: "CRITICAL" }).child("null");
}
