import type { RepoClonerMetrics } from "./registry.ts";

/** Options of {@link pushToGateway}. */
export interface PushOptions {
  /** The `job` grouping label. Default `repo-cloner`. */
  job?: string;
  /** Further grouping labels (e.g. `{ shard: "1/4" }`), so parallel shards do not replace each other. */
  grouping?: Record<string, string>;
  /** Per-request timeout. Default 10 000 ms. */
  timeoutMs?: number;
  /** fetch implementation. Default the global one. */
  fetch?: typeof fetch;
}

/**
 * The Pushgateway URL of a group: `<base>/metrics/job/<job>/<label>/<value>...`. Values that are empty
 * or contain `/` use the documented `@base64` (URL-safe alphabet) form; others are percent-encoded.
 * @throws TypeError when `base` is not an http(s) URL or a label name is invalid.
 */
export function pushgatewayGroupUrl(base: string, job: string, grouping: Record<string, string> = {}): URL {
  const url = new URL(base);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`Cannot push metrics to "${url.origin}": the Pushgateway URL must be http(s)`);
  }
  const segs = [segment("job", job)];
  for (const [name, value] of Object.entries(grouping)) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) || name === "job") {
      throw new TypeError(`Cannot push metrics: "${name}" is not a valid grouping label name`);
    }
    segs.push(segment(name, value));
  }
  url.pathname = url.pathname.replace(/\/+$/, "") + "/metrics/" + segs.join("/");
  url.username = "";
  url.password = "";
  return url;
}

function segment(name: string, value: string): string {
  if (value === "" || value.includes("/")) {
    const b64 = Buffer.from(value, "utf8").toString("base64url");
    return `${name}@base64/${b64 === "" ? "=" : b64}`;
  }
  return `${name}/${encodeURIComponent(value)}`;
}

/**
 * Replaces this job's group on a Prometheus Pushgateway with the current metrics (HTTP PUT, so series
 * that no longer exist disappear). Credentials in the URL (`https://user:pass@host`) are sent as Basic
 * auth, never in the request line.
 * @throws Error naming the gateway and status when the push fails or times out.
 */
export async function pushToGateway(
  baseUrl: string,
  metrics: RepoClonerMetrics,
  options: PushOptions = {},
): Promise<void> {
  const url = pushgatewayGroupUrl(baseUrl, options.job ?? "repo-cloner", options.grouping);
  const given = new URL(baseUrl);
  const headers: Record<string, string> = { "content-type": metrics.contentType };
  if (given.username || given.password) {
    const userPass = `${decodeURIComponent(given.username)}:${decodeURIComponent(given.password)}`;
    headers.authorization = "Basic " + Buffer.from(userPass, "utf8").toString("base64");
  }
  const doFetch = options.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, {
      method: "PUT",
      headers,
      body: await metrics.text(),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (e) {
    throw new Error(`Cannot push metrics to Pushgateway ${url.origin}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const body = (await res.text()).slice(0, 300).trim();
  if (!res.ok) {
    throw new Error(
      `Cannot push metrics to Pushgateway ${url.origin}: HTTP ${res.status}${body ? ` ${body}` : ""}`,
    );
  }
}
