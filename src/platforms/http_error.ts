import { AuthError, RepoClonerError, TransientError } from "../errors.ts";
import { redactor } from "../log/redact.ts";

/** Who made a REST call, so an error can name the token and the scope it needs. */
export interface CallSite {
  /** "source" or "target". */
  role: string;
  /** "GitHub" or "GitLab". */
  forge: string;
  /** Host shown to users. */
  host: string;
  /** Where the token came from, e.g. `GITLAB_TOKEN` or `sources[0].token`. */
  tokenOrigin: string;
  /** The scopes the token needs for this role, e.g. `"repo"`. */
  scope: string;
  /** What was being done: `list repositories of "backend"`. */
  action: string;
}

/** Status and headers of an HTTP error thrown by octokit or @gitbeaker/rest, when it has them. */
export function httpStatusOf(
  error: unknown,
): { status?: number; headers: Record<string, string>; text: string } {
  const e = error as {
    status?: number;
    response?: { headers?: Record<string, string> };
    cause?: { response?: Response; description?: string };
    message?: string;
  };
  if (typeof e?.status === "number") {
    return { status: e.status, headers: lower(e.response?.headers ?? {}), text: String(e.message ?? "") };
  }
  const r = e?.cause?.response;
  if (r && typeof r.status === "number") {
    const headers: Record<string, string> = {};
    r.headers?.forEach?.((v, k) => headers[k.toLowerCase()] = v);
    return { status: r.status, headers, text: String(e.cause?.description ?? e.message ?? "") };
  }
  return { headers: {}, text: String(e?.message ?? error) };
}

function lower(h: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = String(v);
  return out;
}

/**
 * Milliseconds the server asked us to wait: `Retry-After` (seconds or HTTP date), else
 * `x-ratelimit-reset` (epoch seconds) when the remaining quota is 0. Undefined when no hint.
 */
export function retryAfterMs(headers: Record<string, string>, now: number = Date.now()): number | undefined {
  const ra = headers["retry-after"];
  if (ra !== undefined && ra !== "") {
    if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.round(Number(ra) * 1000);
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const remaining = headers["x-ratelimit-remaining"] ?? headers["ratelimit-remaining"];
  const reset = headers["x-ratelimit-reset"] ?? headers["ratelimit-reset"];
  if (remaining === "0" && reset && /^\d+$/.test(reset)) return Math.max(0, Number(reset) * 1000 - now);
  return undefined;
}

/**
 * Maps an error of a REST call to the error class the sync engine acts on: {@link AuthError} for
 * 401 and for 403s that are not rate limits (naming role, host, token origin and scope),
 * {@link TransientError} for 5xx, 429, rate-limit 403s, timeouts and connection faults (with the
 * server's wait hint), and a plain {@link RepoClonerError} otherwise.
 */
export function classifyHttpError(error: unknown, site: CallSite): RepoClonerError {
  if (error instanceof RepoClonerError) return error;
  const { status, headers, text } = httpStatusOf(error);
  const detail = redactor.redact(text.split("\n")[0].slice(0, 200));
  const where = `${site.forge} ${site.role} ${site.host}`;
  const rateLimited = status === 429 ||
    (status === 403 && (/rate limit/i.test(text) || headers["x-ratelimit-remaining"] === "0"));
  if (rateLimited || (status !== undefined && status >= 500)) {
    return new TransientError(
      `${
        rateLimited ? "Rate limited" : `HTTP ${status}`
      } from ${where} while trying to ${site.action}: ${detail}`,
      { retryAfterMs: retryAfterMs(headers), cause: error },
    );
  }
  if (status === 401 || status === 403) {
    const what = status === 401 ? "was rejected (HTTP 401)" : "lacks permission (HTTP 403)";
    return new AuthError(
      `Cannot ${site.action}: the ${site.role} token for ${site.forge} at ${site.host} (${site.tokenOrigin}) ${what}. ` +
        `Use a valid token with the ${site.scope} scope`,
      { cause: error },
    );
  }
  if (status === undefined) {
    const name = (error as Error)?.name ?? "";
    if (
      /Timeout|Abort/i.test(name) ||
      /fetch failed|ECONN|socket|network|timed? ?out|EPIPE|terminated/i.test(text)
    ) {
      return new TransientError(`Network error from ${where} while trying to ${site.action}: ${detail}`, {
        cause: error,
      });
    }
    if (/GitbeakerRetryError/.test(name)) {
      return new TransientError(`Server kept failing (${where}) while trying to ${site.action}: ${detail}`, {
        cause: error,
      });
    }
  }
  return new RepoClonerError(
    `Cannot ${site.action} on ${site.forge} at ${site.host}: ${status ? `HTTP ${status}: ` : ""}${detail}`,
    { cause: error, errorType: "PlatformError" },
  );
}
