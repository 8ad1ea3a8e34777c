/**
 * A real git smart-HTTP server for tests: `git http-backend` behind a node:http server on 127.0.0.1,
 * with token auth (Basic with the token as password, or Bearer), a minimal Git LFS batch API
 * (basic transfer, objects stored in `<repo>/lfs-store/`), a request log and fault injection.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";

/** One injected fault, consumed by the first request whose path matches. */
export type Fault =
  | { match: RegExp; kind: "status"; status: number; headers?: Record<string, string>; times?: number }
  | { match: RegExp; kind: "delay"; ms: number; times?: number }
  | { match: RegExp; kind: "drop"; times?: number }
  | { match: RegExp; kind: "hang"; times?: number };

/** A logged request. */
export interface RequestLogEntry {
  method: string;
  path: string;
  query: string;
  user?: string;
  status?: number;
}

/** Options of {@link startGitHttpServer}. */
export interface GitHttpOptions {
  /** Directory holding bare repositories, served at `/<relative path>`. */
  root: string;
  /**
   * Decides access. Default: every token in `tokens` may read and write everything; no token → 401.
   * Return "ok", "unauthorized" (401) or "forbidden" (403).
   */
  authorize?: (
    token: string | undefined,
    repo: string,
    write: boolean,
  ) => "ok" | "unauthorized" | "forbidden";
  /** Accepted tokens for the default authorizer. */
  tokens?: string[];
  /** Allow anonymous reads with the default authorizer. Default false. */
  anonymousRead?: boolean;
  /** URL path prefix before the repository path (e.g. "/git"). Default "". */
  prefix?: string;
}

/** A running server. */
export interface GitHttpServer {
  url: string;
  port: number;
  log: RequestLogEntry[];
  faults: Fault[];
  server: Server;
  close(): Promise<void>;
  /** Handles a request (so a forge emulator can delegate git paths to it). */
  handle(req: IncomingMessage, res: ServerResponse, path: string): void;
}

/** Extracts the token from an Authorization header (Basic password or Bearer). */
export function tokenOf(req: IncomingMessage): { token?: string; user?: string } {
  const h = req.headers.authorization;
  if (!h) {
    const pt = req.headers["private-token"];
    return typeof pt === "string" ? { token: pt, user: "private-token" } : {};
  }
  const [scheme, value = ""] = h.split(/\s+/, 2);
  if (/^basic$/i.test(scheme)) {
    const dec = Buffer.from(value, "base64").toString("utf8");
    const i = dec.indexOf(":");
    return { user: dec.slice(0, i), token: dec.slice(i + 1) };
  }
  if (/^(bearer|token)$/i.test(scheme)) return { token: value, user: "bearer" };
  return {};
}

/** Starts the server on 127.0.0.1 with an ephemeral port. */
export async function startGitHttpServer(options: GitHttpOptions): Promise<GitHttpServer> {
  const log: RequestLogEntry[] = [];
  const faults: Fault[] = [];
  const sockets = new Set<Socket>();
  const prefix = options.prefix ?? "";
  const authorize = options.authorize ?? ((token, _repo, write) => {
    if (token === undefined) return options.anonymousRead && !write ? "ok" : "unauthorized";
    return (options.tokens ?? []).includes(token) ? "ok" : "unauthorized";
  });

  const handle = (req: IncomingMessage, res: ServerResponse, path: string) => {
    const url = new URL(req.url ?? "/", "http://x");
    const entry: RequestLogEntry = { method: req.method ?? "GET", path, query: url.search };
    log.push(entry);
    const fault = takeFault(faults, path);
    if (fault?.kind === "drop") return req.socket.destroy();
    if (fault?.kind === "hang") return; // never answers; the client's timeout must fire
    if (fault?.kind === "status") {
      entry.status = fault.status;
      res.writeHead(fault.status, { "content-type": "text/plain", ...(fault.headers ?? {}) });
      return res.end(`injected ${fault.status}\n`);
    }
    const go = () => serve(req, res, path, url, entry);
    if (fault?.kind === "delay") setTimeout(go, fault.ms);
    else go();
  };

  const serve = (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    url: URL,
    entry: RequestLogEntry,
  ) => {
    const m = path.match(/^\/(.+?\.git)(\/.*)$/);
    if (!m) {
      entry.status = 404;
      res.writeHead(404).end("not a repository path\n");
      return;
    }
    const [, repo, rest] = m;
    const write = url.searchParams.get("service") === "git-receive-pack" || rest === "/git-receive-pack" ||
      (rest.startsWith("/info/lfs") && (req.method === "PUT" || isUploadBatch(req)));
    const { token, user } = tokenOf(req);
    entry.user = user;
    const verdict = authorize(token, repo, write);
    if (verdict !== "ok") {
      entry.status = verdict === "unauthorized" ? 401 : 403;
      res.writeHead(
        entry.status,
        verdict === "unauthorized" ? { "www-authenticate": 'Basic realm="git"' } : {},
      );
      res.end(verdict === "unauthorized" ? "Authentication required\n" : "Forbidden\n");
      return;
    }
    const dir = join(options.root, repo);
    if (!existsSync(dir)) {
      entry.status = 404;
      res.writeHead(404).end("Repository not found\n");
      return;
    }
    if (rest.startsWith("/info/lfs")) return lfs(req, res, dir, rest, entry);
    cgi(req, res, repo, rest, url, user ?? "anonymous", entry);
  };

  const cgi = (
    req: IncomingMessage,
    res: ServerResponse,
    repo: string,
    rest: string,
    url: URL,
    user: string,
    entry: RequestLogEntry,
  ) => {
    const child = spawn("git", ["http-backend"], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        GIT_PROJECT_ROOT: options.root,
        GIT_HTTP_EXPORT_ALL: "1",
        GIT_HTTP_MAX_REQUEST_BUFFER: "100M",
        PATH_INFO: `/${repo}${rest}`,
        REMOTE_USER: user,
        REMOTE_ADDR: "127.0.0.1",
        REQUEST_METHOD: req.method ?? "GET",
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"] ?? ""),
        GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
        GIT_CONFIG_COUNT: "2",
        GIT_CONFIG_KEY_0: "http.receivepack",
        GIT_CONFIG_VALUE_0: "true",
        GIT_CONFIG_KEY_1: "uploadpack.allowAnySHA1InWant",
        GIT_CONFIG_VALUE_1: "true",
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    req.pipe(child.stdin);
    child.stdin.on("error", () => {});
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const idx = head.indexOf("\r\n\r\n");
      if (idx < 0) return;
      headersDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, idx).toString("latin1").split("\r\n")) {
        const c = line.indexOf(":");
        const k = line.slice(0, c).trim();
        const v = line.slice(c + 1).trim();
        if (/^status$/i.test(k)) status = parseInt(v, 10);
        else headers[k] = v;
      }
      entry.status = status;
      res.writeHead(status, headers);
      res.write(head.subarray(idx + 4));
    });
    child.stdout.on("end", () => {
      if (!headersDone) {
        entry.status = 500;
        res.writeHead(500);
      }
      res.end();
    });
  };

  const lfs = (
    req: IncomingMessage,
    res: ServerResponse,
    dir: string,
    rest: string,
    entry: RequestLogEntry,
  ) => {
    const store = join(dir, "lfs-store");
    mkdirSync(store, { recursive: true });
    const base = `http://127.0.0.1:${port}${prefix}/${dir.slice(options.root.length + 1)}/info/lfs/objects`;
    if (rest === "/info/lfs/objects/batch" && req.method === "POST") {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        const auth = req.headers.authorization ? { Authorization: req.headers.authorization } : undefined;
        const objects = (body.objects as Array<{ oid: string; size: number }>).map(({ oid, size }) => {
          const have = existsSync(join(store, oid));
          if (body.operation === "download") {
            if (!have) return { oid, size, error: { code: 404, message: "Object does not exist" } };
            return {
              oid,
              size,
              authenticated: true,
              actions: { download: { href: `${base}/${oid}`, header: auth } },
            };
          }
          if (have) return { oid, size, authenticated: true };
          return {
            oid,
            size,
            authenticated: true,
            actions: { upload: { href: `${base}/${oid}`, header: auth } },
          };
        });
        entry.status = 200;
        res.writeHead(200, { "content-type": "application/vnd.git-lfs+json" });
        res.end(JSON.stringify({ transfer: "basic", objects }));
      });
      return;
    }
    const om = rest.match(/^\/info\/lfs\/objects\/([0-9a-f]{64})$/);
    if (!om) {
      entry.status = 404;
      return void res.writeHead(404).end();
    }
    const file = join(store, om[1]);
    if (req.method === "GET") {
      if (!existsSync(file)) return void res.writeHead(404).end();
      entry.status = 200;
      res.writeHead(200, { "content-length": String(statSync(file).size) });
      createReadStream(file).pipe(res);
      return;
    }
    if (req.method === "PUT") {
      const tmp = `${file}.tmp-${process.pid}-${Math.random()}`;
      const hash = createHash("sha256");
      const out = createWriteStream(tmp);
      req.on("data", (c) => hash.update(c));
      req.pipe(out);
      out.on("finish", () => {
        if (hash.digest("hex") !== om[1]) {
          entry.status = 422;
          return void res.writeHead(422).end("hash mismatch");
        }
        renameSync(tmp, file);
        entry.status = 200;
        res.writeHead(200).end();
      });
      return;
    }
    res.writeHead(405).end();
  };

  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    if (prefix && !path.startsWith(prefix)) return void res.writeHead(404).end();
    handle(req, res, path.slice(prefix.length));
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    port,
    log,
    faults,
    server,
    handle,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function isUploadBatch(req: IncomingMessage): boolean {
  // The batch body is not read yet here; uploads are authorised as writes at PUT time instead.
  return req.method === "PUT";
}

function takeFault(faults: Fault[], path: string): Fault | undefined {
  const i = faults.findIndex((f) => f.match.test(path));
  if (i < 0) return undefined;
  const f = faults[i];
  const left = (f.times ?? 1) - 1;
  if (left <= 0) faults.splice(i, 1);
  else f.times = left;
  return f;
}
