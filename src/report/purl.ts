/**
 * Package URLs (https://github.com/package-url/purl-spec) for carried dependency packages:
 * `pkg:pypi/<name>@<version>` (name lower-cased, `_` → `-`), `pkg:npm/%40scope/name@<version>`, and
 * `pkg:generic/<name>@<version>` for anything else. Segments are percent-encoded.
 */
export function packageUrl(ecosystem: string, name: string, version: string): string {
  const v = encodeSegment(version);
  if (ecosystem === "python") {
    return `pkg:pypi/${encodeSegment(name.toLowerCase().replaceAll("_", "-"))}@${v}`;
  }
  if (ecosystem === "nodejs") {
    const slash = name.startsWith("@") ? name.indexOf("/") : -1;
    if (slash > 0) {
      return `pkg:npm/${encodeSegment(name.slice(0, slash))}/${encodeSegment(name.slice(slash + 1))}@${v}`;
    }
    return `pkg:npm/${encodeSegment(name)}@${v}`;
  }
  return `pkg:generic/${encodeSegment(name)}@${v}`;
}

/** npm scope (`@acme`) and bare name of a package name; the scope is null when unscoped. */
export function splitNpmName(name: string): { scope: string | null; name: string } {
  const slash = name.startsWith("@") ? name.indexOf("/") : -1;
  return slash > 0 ? { scope: name.slice(0, slash), name: name.slice(slash + 1) } : { scope: null, name };
}

function encodeSegment(s: string): string {
  // encodeURIComponent leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ); purl keeps only unreserved ones unencoded.
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
