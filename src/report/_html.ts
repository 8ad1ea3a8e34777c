/** Small HTML building blocks for the report. Every text goes through {@link esc}. */

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes text for HTML element content and quoted attribute values. Control characters other than
 * tab and newline are shown as `\u{…}` so invisible bytes in names cannot hide.
 */
export function esc(value: unknown): string {
  return String(value)
    .replace(/[&<>"']/g, (c) => ENTITIES[c])
    .replace(INVISIBLE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

// C0/C1 controls except tab and newline, line/paragraph separators, bidi overrides and isolates.
const INVISIBLE = new RegExp(
  "[" + [[0, 8], [0x0b, 0x1f], [0x7f, 0x9f], [0x2028, 0x2029], [0x202a, 0x202e], [0x2066, 0x2069]]
    .map(([a, b]) => `\\u{${a.toString(16)}}-\\u{${b.toString(16)}}`).join("") +
    "]",
  "gu",
);

/** A cell: escaped text, or already-built HTML. */
export type Cell = string | number | null | { html: string };

/** `<td>` content for a cell; null shows as an en dash. */
export function cell(c: Cell): string {
  if (c === null) return '<span class="muted">–</span>';
  if (typeof c === "object") return c.html;
  return esc(c);
}

/** A table with a header row; `numeric` column indexes are right-aligned. */
export function table(
  headers: string[],
  rows: Cell[][],
  options: { numeric?: number[]; className?: string } = {},
): string {
  const num = new Set(options.numeric ?? []);
  const th = headers.map((h, i) => `<th${num.has(i) ? ' class="num"' : ""}>${esc(h)}</th>`).join("");
  const body = rows.map((r) =>
    `<tr>${r.map((c, i) => `<td${num.has(i) ? ' class="num"' : ""}>${cell(c)}</td>`).join("")}</tr>`
  ).join("\n");
  return `<table${
    options.className ? ` class="${esc(options.className)}"` : ""
  }><thead><tr>${th}</tr></thead>` +
    `<tbody>\n${body}\n</tbody></table>`;
}

/** A definition list of label → value pairs. */
export function facts(pairs: Array<[string, Cell]>): string {
  return `<dl class="facts">${pairs.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${cell(v)}</dd>`).join("")}</dl>`;
}

/** Monospace text (object ids, hashes, paths). */
export function code(text: string): { html: string } {
  return { html: `<code>${esc(text)}</code>` };
}

/** A short object id with the full one in a tooltip (no script needed). */
export function shortId(oid: string | null): Cell {
  if (!oid) return null;
  return { html: `<code title="${esc(oid)}">${esc(oid.slice(0, 12))}</code>` };
}

/** A coloured label. */
export function badge(text: string, tone: "ok" | "warn" | "bad" | "info"): { html: string } {
  return { html: `<span class="badge ${tone}">${esc(text)}</span>` };
}

/** Bytes in binary units (1.5 MiB), exact bytes below 1 KiB. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** A count with thousands separators. */
export function num(n: number): string {
  return n.toLocaleString("en-US");
}
