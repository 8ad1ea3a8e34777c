/**
 * A fault-injecting HTTP proxy in front of an S3 server, on 127.0.0.1: denies given access keys with
 * S3's real 403 AccessDenied XML, cuts the network after N request-body bytes (every later connection
 * is reset too, like a link that went down), or holds requests after N bytes so a test can kill the
 * client mid-upload. Logs every request it sees.
 */
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One proxied request. */
export interface ProxyLogEntry {
  method: string;
  /** Path and query as sent. */
  url: string;
  accessKeyId?: string;
  status?: number;
  /** The headers the client sent (to prove no secret travelled in them). */
  headers: Record<string, string | string[] | undefined>;
}

/** Options of {@link startS3Proxy}. */
export interface S3ProxyOptions {
  /** Upstream port on 127.0.0.1. */
  upstreamPort: number;
  /** Access key ids answered with 403 AccessDenied. */
  denyAccessKeys?: string[];
  /** Requests answered with 403 AccessDenied, e.g. reads for write-only credentials. */
  denyWhen?: (request: { method: string; url: string; accessKeyId?: string }) => boolean;
  /** After this many request-body bytes in total, reset the connection and every later one. */
  dropAfterBytes?: number;
  /** After this many request-body bytes in total, stop reading (requests hang until close()). */
  holdAfterBytes?: number;
}

/** A running proxy. */
export interface S3Proxy {
  endpoint: string;
  log: ProxyLogEntry[];
  /** Request-body bytes forwarded so far. */
  bytes(): number;
  /** True once the byte limit was hit. */
  tripped(): boolean;
  close(): Promise<void>;
}

const ACCESS_DENIED = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>rc-proxy</RequestId></Error>`;

/** The access key id from a SigV4 Authorization header. */
function accessKeyOf(req: IncomingMessage): string | undefined {
  const m = /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? "");
  return m?.[1];
}

/** Starts the proxy on an ephemeral port. */
export async function startS3Proxy(options: S3ProxyOptions): Promise<S3Proxy> {
  const log: ProxyLogEntry[] = [];
  const sockets = new Set<Socket>();
  const upstreams = new Set<ReturnType<typeof request>>();
  let forwarded = 0;
  let tripped = false;
  const limit = options.dropAfterBytes ?? options.holdAfterBytes;
  const server: Server = createServer((req, res) => {
    const entry: ProxyLogEntry = {
      method: req.method ?? "GET",
      url: req.url ?? "/",
      accessKeyId: accessKeyOf(req),
      headers: { ...req.headers },
    };
    log.push(entry);
    if (tripped && options.dropAfterBytes !== undefined) {
      req.socket.destroy();
      return;
    }
    if (
      (entry.accessKeyId && options.denyAccessKeys?.includes(entry.accessKeyId)) || options.denyWhen?.(entry)
    ) {
      entry.status = 403;
      req.resume();
      res.writeHead(403, { "content-type": "application/xml" }).end(
        entry.method === "HEAD" ? undefined : ACCESS_DENIED,
      );
      return;
    }
    const upstream = request({
      host: "127.0.0.1",
      port: options.upstreamPort,
      method: req.method,
      path: req.url,
      headers: req.headers,
    }, (up) => {
      entry.status = up.statusCode;
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstreams.add(upstream);
    upstream.on("close", () => upstreams.delete(upstream));
    upstream.on("error", () => req.socket.destroy());
    req.on("data", (chunk: Buffer) => {
      forwarded += chunk.length;
      if (limit !== undefined && forwarded > limit) {
        tripped = true;
        if (options.dropAfterBytes !== undefined) {
          upstream.destroy();
          req.socket.destroy();
          return;
        }
        req.pause();
        return;
      }
      if (!upstream.write(chunk)) {
        req.pause();
        upstream.once("drain", () => {
          if (!tripped || options.dropAfterBytes !== undefined) req.resume();
        });
      }
    });
    req.on("end", () => upstream.end());
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    if (tripped && options.dropAfterBytes !== undefined) s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    log,
    bytes: () => forwarded,
    tripped: () => tripped,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        for (const u of upstreams) u.destroy();
        server.close(() => resolve());
      }),
  };
}
