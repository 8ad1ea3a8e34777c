/** Options of {@link postJson}. */
export interface PostOptions {
  /** Per-attempt timeout. Default 10 000 ms. */
  timeoutMs?: number;
  /** Attempts in all; network errors, 429 and 5xx are retried. Default 3. */
  attempts?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** fetch implementation. Default the global one. */
  fetch?: typeof fetch;
  /** Sleep, for tests. Default a timer. */
  sleep?: (ms: number) => Promise<void>;
}

/** A delivered request's answer. */
export interface PostResult {
  status: number;
  body: string;
}

/** Thrown when delivery failed for good; `status` is the last HTTP status, if any. */
export class DeliveryError extends Error {
  constructor(message: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DeliveryError";
  }
}

const MAX_BACKOFF_MS = 5_000;

/**
 * POSTs a JSON body with a bounded number of attempts, each bounded in time. Retries network errors,
 * HTTP 429 and 5xx (honouring `Retry-After` up to 5 s); other statuses fail at once. The URL is never
 * put in error messages (webhook URLs are secrets): only its host.
 * @throws DeliveryError when every attempt failed or the answer was a non-retryable error.
 */
export async function postJson(url: string, body: unknown, options: PostOptions = {}): Promise<PostResult> {
  const attempts = Math.max(1, Math.min(options.attempts ?? 3, 10));
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const host = safeHost(url);
  const payload = JSON.stringify(body);
  let last: DeliveryError | undefined;
  for (let i = 0; i < attempts; i++) {
    let retryAfterMs = 500 * 2 ** i;
    try {
      const res = await doFetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(options.headers ?? {}) },
        body: payload,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      const text = (await res.text()).slice(0, 2_000);
      if (res.ok) return { status: res.status, body: text };
      last = new DeliveryError(
        `${host} answered HTTP ${res.status}${text ? ` ${oneLine(text)}` : ""}`,
        res.status,
      );
      if (res.status !== 429 && res.status < 500) throw last;
      const ra = Number(res.headers.get("retry-after"));
      if (Number.isFinite(ra) && ra >= 0) retryAfterMs = ra * 1000;
    } catch (e) {
      if (e === last) throw e;
      const why = (e as Error).message.split(url).join(host);
      last = new DeliveryError(`${host} unreachable: ${why}`);
    }
    if (i < attempts - 1) await sleep(Math.min(retryAfterMs, MAX_BACKOFF_MS));
  }
  throw last ?? new DeliveryError(`${host}: no attempt made`);
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "(invalid URL)";
  }
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim().slice(0, 300);
}
