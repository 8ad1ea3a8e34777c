/**
 * Licence strings from package metadata → CycloneDX `licenses` entries. Only identifiers known to be on
 * the SPDX list are written as `id` or `expression` (the CycloneDX schema rejects unknown ids); anything
 * else ("MIT License", "BSD", a licence text) is kept verbatim as a `name`.
 */

/** Common SPDX licence identifiers (each checked against the SPDX list by a test). */
export const KNOWN_SPDX_IDS: ReadonlySet<string> = new Set([
  "0BSD",
  "AFL-3.0",
  "AGPL-3.0-only",
  "AGPL-3.0-or-later",
  "Apache-1.1",
  "Apache-2.0",
  "Artistic-2.0",
  "BlueOak-1.0.0",
  "BSD-1-Clause",
  "BSD-2-Clause",
  "BSD-3-Clause",
  "BSD-3-Clause-Clear",
  "BSL-1.0",
  "CC-BY-3.0",
  "CC-BY-4.0",
  "CC-BY-SA-4.0",
  "CC0-1.0",
  "CDDL-1.0",
  "EPL-1.0",
  "EPL-2.0",
  "EUPL-1.2",
  "GPL-2.0-only",
  "GPL-2.0-or-later",
  "GPL-3.0-only",
  "GPL-3.0-or-later",
  "HPND",
  "ISC",
  "LGPL-2.1-only",
  "LGPL-2.1-or-later",
  "LGPL-3.0-only",
  "LGPL-3.0-or-later",
  "MIT",
  "MIT-0",
  "MPL-2.0",
  "MS-PL",
  "OFL-1.1",
  "PostgreSQL",
  "PSF-2.0",
  "Python-2.0",
  "Unicode-3.0",
  "Unicode-DFS-2016",
  "Unlicense",
  "UPL-1.0",
  "WTFPL",
  "X11",
  "Zlib",
  "ZPL-2.1",
]);

const EXCEPTIONS = new Set(["Classpath-exception-2.0", "LLVM-exception", "GCC-exception-3.1"]);

/** One CycloneDX licence choice. */
export type LicenseChoice =
  | { license: { id: string } }
  | { license: { name: string } }
  | { expression: string };

/**
 * Maps a licence string to a CycloneDX licence choice: a known SPDX id → `{license: {id}}`; an SPDX
 * expression of known ids (`MIT OR Apache-2.0`, `(MIT AND Zlib)`, `Apache-2.0 WITH LLVM-exception`) →
 * `{expression}`; anything else → `{license: {name}}` (trimmed, first line, at most 200 characters).
 * Ids match case-insensitively and are written in their canonical case.
 */
export function licenseChoice(text: string): LicenseChoice | null {
  const s = text.trim();
  if (!s) return null;
  const id = canonical(s);
  if (id) return { license: { id } };
  const tokens = s.split(/(\(|\)|\s+)/).filter((t) => t && !/^\s+$/.test(t));
  let operands = 0;
  let expectOperand = true;
  let afterWith = false;
  let depth = 0;
  const out: string[] = [];
  for (const t of tokens) {
    if (t === "(") {
      if (!expectOperand) return nameOnly(s);
      depth++;
      out.push(t);
    } else if (t === ")") {
      if (expectOperand || --depth < 0) return nameOnly(s);
      out.push(t);
    } else if (/^(AND|OR|WITH)$/i.test(t)) {
      if (expectOperand) return nameOnly(s);
      afterWith = t.toUpperCase() === "WITH";
      expectOperand = true;
      out.push(t.toUpperCase());
    } else {
      if (!expectOperand) return nameOnly(s);
      const known = afterWith
        ? [...EXCEPTIONS].find((e) => e.toLowerCase() === t.toLowerCase())
        : canonical(t);
      if (!known) return nameOnly(s);
      out.push(known);
      operands++;
      expectOperand = false;
      afterWith = false;
    }
  }
  if (expectOperand || depth !== 0 || operands < 2) return nameOnly(s);
  return { expression: out.join(" ").replaceAll("( ", "(").replaceAll(" )", ")") };
}

function canonical(id: string): string | undefined {
  const lower = id.toLowerCase();
  for (const known of KNOWN_SPDX_IDS) if (known.toLowerCase() === lower) return known;
  return undefined;
}

function nameOnly(s: string): LicenseChoice {
  const first = s.split(/\r?\n/)[0].trim();
  return { license: { name: first.length > 200 ? first.slice(0, 199) + "…" : first } };
}
