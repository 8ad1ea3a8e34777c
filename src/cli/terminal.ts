import { redactor } from "../log/redact.ts";

/** Options of {@link Terminal}. */
export interface TerminalOptions {
  /** Suppress everything but errors. Default false. */
  quiet?: boolean;
  /** JSON mode: the human view goes to stderr so stdout holds only the result object. Default false. */
  json?: boolean;
  /** Colours on/off. Default: on only for a TTY without NO_COLOR. */
  color?: boolean;
  /** Where lines go. Default process.stdout / process.stderr. */
  out?: { write(s: string): unknown; isTTY?: boolean };
  err?: { write(s: string): unknown };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, bold: 1, dim: 2 } as const;

/**
 * The human terminal view. Every line passes through the redaction layer. No colours when stdout is
 * not a TTY or NO_COLOR is set (https://no-color.org).
 */
export class Terminal {
  readonly quiet: boolean;
  readonly json: boolean;
  readonly color: boolean;
  #out: { write(s: string): unknown; isTTY?: boolean };
  #err: { write(s: string): unknown };

  constructor(options: TerminalOptions = {}) {
    this.#out = options.out ?? process.stdout;
    this.#err = options.err ?? process.stderr;
    this.quiet = options.quiet ?? false;
    this.json = options.json ?? false;
    this.color = options.color ?? (Boolean(this.#out.isTTY) && !process.env.NO_COLOR);
  }

  /** Prints one line of the human view (to stderr in JSON mode). */
  line(text = ""): void {
    if (this.quiet) return;
    const target = this.json ? this.#err : this.#out;
    target.write(redactor.redact(text) + "\n");
  }

  /** Prints an error line; shown even when quiet. */
  error(text: string): void {
    this.#err.write(redactor.redact(text) + "\n");
  }

  /** Prints the JSON result object on stdout (JSON mode only). */
  result(value: unknown): void {
    if (this.json) this.#out.write(JSON.stringify(redactor.redactValue(value), null, 2) + "\n");
  }

  /** Wraps text in an ANSI style when colours are on. */
  style(name: keyof typeof CODES, text: string): string {
    return this.color ? `\x1b[${CODES[name]}m${text}\x1b[0m` : text;
  }
}

/** Formats bytes as the spec does: "245.3 MB". */
export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** Formats seconds as "3.2s". */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Formats a total duration as the spec's "1m 42s" / "0m 40s". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m ${s % 60}s`;
}

/** Formats an integer with thousands separators: 1,847. */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}
