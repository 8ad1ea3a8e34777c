import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RepoClonerMetrics } from "./registry.ts";

/** Where to listen: host (undefined = every interface) and port. */
export interface ListenAddress {
  host?: string;
  port: number;
}

/**
 * Parses `metrics.listen`: `127.0.0.1:9464`, `[::1]:9464`, `:9464` (every interface) or a bare port
 * `9464` (loopback only, the safe default). Port 0 picks a free port.
 * @throws TypeError for anything else.
 */
export function parseListen(spec: string): ListenAddress {
  const s = spec.trim();
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    throw new TypeError(
      `Cannot listen on "${spec}": use host:port (127.0.0.1:9464), :port for every interface, or a port`,
    );
  }
  if (m[1] === undefined) return { host: "127.0.0.1", port };
  if (m[1] === "") return { port };
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  /** `/healthz` answers 503 once this many runs failed in a row. Default 3. */
  unhealthyAfter?: number;
}

/** A running metrics listener. */
export interface MetricsServer {
  /** Base URL, e.g. `http://127.0.0.1:9464`. */
  url: string;
  port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (text exposition format) and `GET /healthz` (200 `{"status":"ok"}`, or 503
 * `{"status":"unhealthy"}` after `unhealthyAfter` consecutive failed runs) for scheduled mode.
 * @throws Error when the address cannot be bound (in use, not permitted).
 */
export async function startMetricsServer(
  listen: string | ListenAddress,
  metrics: RepoClonerMetrics,
  options: MetricsServerOptions = {},
): Promise<MetricsServer> {
  const addr = typeof listen === "string" ? parseListen(listen) : listen;
  const unhealthyAfter = options.unhealthyAfter ?? 3;
  const server = createServer((req, res) => {
    handle(req, res, metrics, unhealthyAfter).catch((e) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`error: ${(e as Error).message}\n`);
    });
  });
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) =>
      reject(
        new Error(`Cannot listen for metrics on ${addr.host ?? "*"}:${addr.port}: ${e.message}`, {
          cause: e,
        }),
      ));
    server.listen(addr.port, addr.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = addr.host === undefined || addr.host === "0.0.0.0" || addr.host === "::"
    ? "127.0.0.1"
    : addr.host.includes(":")
    ? `[${addr.host}]`
    : addr.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  metrics: RepoClonerMetrics,
  unhealthyAfter: number,
): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" });
    res.end("method not allowed\n");
    return;
  }
  const send = (status: number, type: string, body: string) => {
    res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : body);
  };
  if (path === "/metrics") return send(200, metrics.contentType, await metrics.text());
  if (path === "/healthz") {
    const failed = metrics.consecutiveFailedRuns;
    const healthy = failed < unhealthyAfter;
    const body = {
      status: healthy ? "ok" : "unhealthy",
      consecutive_failed_runs: failed,
      unhealthy_after: unhealthyAfter,
    };
    return send(healthy ? 200 : 503, "application/json", JSON.stringify(body) + "\n");
  }
  if (path === "/") {
    return send(
      200,
      "text/html; charset=utf-8",
      '<a href="/metrics">metrics</a> <a href="/healthz">healthz</a>\n',
    );
  }
  send(404, "text/plain", "not found\n");
}
