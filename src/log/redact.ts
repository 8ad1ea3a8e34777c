/**
 * The one redaction layer: every log line, error message, progress line and JSON result passes
 * through {@link Redactor.redact}. It removes registered secrets (tokens from config and env), URL
 * userinfo and Authorization header values.
 */
export class Redactor {
  #secrets = new Set<string>();
  /** Every spelling to replace (raw, URL-encoded, base64), longest first; rebuilt only when a secret is added. */
  #needles: string[] = [];

  /** Registers a secret; values shorter than 4 characters are ignored (they would redact prose). */
  add(secret: string | undefined | null): void {
    if (!secret || secret.length < 4 || this.#secrets.has(secret)) return;
    this.#secrets.add(secret);
    const needles = new Set(this.#needles);
    needles.add(secret);
    needles.add(encodeURIComponent(secret));
    const b64 = btoaSafe(secret);
    if (b64) needles.add(b64);
    // Longest first, so a token that contains another is replaced whole.
    this.#needles = [...needles].sort((a, b) => b.length - a.length);
  }

  /** Returns `text` with every known secret, URL credential and auth header value replaced. */
  redact(text: string): string {
    let out = text;
    for (const needle of this.#needles) {
      if (out.includes(needle)) out = out.split(needle).join("***");
    }
    out = out.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@"']*@/gi, "$1***@");
    out = out.replace(/(authorization:\s*(?:basic|bearer|token)?\s*)[^\s"',]+/gi, "$1***");
    out = out.replace(/(private-token:\s*)[^\s"',]+/gi, "$1***");
    return out;
  }

  /** Deep-redacts every string inside a JSON-like value. */
  redactValue<T>(value: T): T {
    if (typeof value === "string") return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v)) as T;
    if (value && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.redactValue(v);
      return out as T;
    }
    return value;
  }
}

function btoaSafe(s: string): string | undefined {
  try {
    const b = btoa(s);
    return b.length >= 8 ? b.replace(/=+$/, "") : undefined;
  } catch {
    return undefined;
  }
}

/** Process-wide redactor; config and env loading register every token they see. */
export const redactor = new Redactor();
