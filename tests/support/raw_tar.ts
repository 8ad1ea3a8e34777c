/**
 * A byte-level ustar writer for hostile test archives: any type flag, any name, any size claim, any
 * checksum. Deliberately separate from tar-stream so tests can write what no sane writer would.
 */

/** One raw header. Every field has a sane default; override any to build a broken one. */
export interface RawHeader {
  name: string;
  /** Size field value (default: 0). */
  size?: number;
  /** Type flag character (default "0", regular file). */
  type?: string;
  linkname?: string;
  mode?: number;
  prefix?: string;
  /** "posix" (default) writes "ustar\0" "00"; "gnu" writes "ustar  \0"; "none" leaves it empty. */
  magic?: "posix" | "gnu" | "none";
  /** Added to the correct checksum (0 = correct). */
  checksumDelta?: number;
  /** Raw 12-byte size field, overriding `size` (base-256, garbage...). */
  sizeField?: Uint8Array;
}

const enc = new TextEncoder();

function put(b: Uint8Array, at: number, len: number, text: string): void {
  const bytes = enc.encode(text);
  b.set(bytes.subarray(0, len), at);
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

/** A 512-byte ustar header. */
export function rawHeader(h: RawHeader): Uint8Array {
  const b = new Uint8Array(512);
  put(b, 0, 100, h.name);
  put(b, 100, 8, octal(h.mode ?? 0o644, 8));
  put(b, 108, 8, octal(0, 8));
  put(b, 116, 8, octal(0, 8));
  if (h.sizeField) b.set(h.sizeField.subarray(0, 12), 124);
  else put(b, 124, 12, octal(h.size ?? 0, 12));
  put(b, 136, 12, octal(0, 12));
  b[156] = (h.type ?? "0").charCodeAt(0);
  if (h.linkname) put(b, 157, 100, h.linkname);
  if ((h.magic ?? "posix") === "posix") put(b, 257, 8, "ustar\u000000");
  else if (h.magic === "gnu") put(b, 257, 8, "ustar  \u0000");
  if (h.prefix) put(b, 345, 155, h.prefix);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  put(
    b,
    148,
    8,
    sum + (h.checksumDelta ?? 0) >= 0
      ? (sum + (h.checksumDelta ?? 0)).toString(8).padStart(6, "0") + "\0 "
      : "",
  );
  return b;
}

/** Recomputes the checksum of a header patched after {@link rawHeader} (e.g. raw name bytes). */
export function withChecksum(b: Uint8Array): Uint8Array {
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  put(b, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return b;
}

/** Zero bytes that pad `size` to a 512-byte boundary. */
export function pad(size: number): Uint8Array {
  return new Uint8Array((512 - (size % 512)) % 512);
}

/** Header + body + padding of a regular file (header fields overridable). */
export function rawFile(name: string, content: Uint8Array | string, h: Partial<RawHeader> = {}): Uint8Array {
  const body = typeof content === "string" ? enc.encode(content) : content;
  return concat(rawHeader({ name, size: body.length, ...h }), body, pad(body.length));
}

/** A pax extended header ('x') carrying `records` (written in the given order). */
export function rawPax(records: [string, string][]): Uint8Array {
  let text = "";
  for (const [k, v] of records) {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (String(len).length + enc.encode(body).length !== len) len++;
    text += `${len}${body}`;
  }
  const data = enc.encode(text);
  return concat(rawHeader({ name: "PaxHeader", size: data.length, type: "x" }), data, pad(data.length));
}

/** End-of-archive marker: two zero blocks. */
export const END_OF_ARCHIVE = new Uint8Array(1024);

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
