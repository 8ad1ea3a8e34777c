/**
 * A forge emulator for tests: one node:http server on 127.0.0.1 that speaks either the GitHub
 * Enterprise REST API (`/api/v3`) or the GitLab REST API (`/api/v4`) — the endpoints octokit and
 * @gitbeaker/rest really call — and git smart HTTP for every repository, delegated to the real
 * `git http-backend` through {@link startGitHttpServer}. Token checks on both, pagination and
 * rate-limit headers, one request log and one fault list covering REST and git paths.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { type GitHttpServer, startGitHttpServer, tokenOf } from "./git_http.ts";
import { tempDir } from "./binary.ts";
import { githubRoutes } from "./forge_github.ts";
import { gitlabRoutes } from "./forge_gitlab.ts";

/**
 * One injected fault, consumed by the first request (REST or git) whose path matches `match` (and
 * whose query string, e.g. `?service=git-receive-pack`, matches `query` when given).
 * `hold` parks the request until `until` settles, calling `onHold` first: a test can then change a
 * repository while a client is between two requests (a real race, without timing). When `until`
 * rejects, the connection is dropped instead of served (the client's request never happens).
 */
export type ForgeFault =
  & { match: RegExp; query?: RegExp; times?: number }
  & (
    | { kind: "status"; status: number; headers?: Record<string, string>; body?: unknown }
    | { kind: "delay"; ms: number }
    | { kind: "drop" }
    | { kind: "hang" }
    | { kind: "hold"; until: Promise<void>; onHold?: (entry: ForgeLogEntry) => void }
  );

/** What a logged request did, so tests can assert "touched nothing" and "fetched once". */
export type ForgeOp = "api" | "advertise" | "ls-refs" | "fetch" | "push" | "lfs" | "other";

/** One logged request. */
export interface ForgeLogEntry {
  method: string;
  path: string;
  query: string;
  op: ForgeOp;
  /** Repository full path for git requests, e.g. `backend/payments/api`. */
  repo?: string;
  /** Which token was presented (the token itself is never stored). */
  auth: "none" | "valid" | "invalid";
  status?: number;
  fault?: ForgeFault["kind"];
  /** When the request arrived (epoch ms). */
  at: number;
  /** When its response was sent in full (epoch ms); unset while it runs, or when it was dropped. */
  done?: number;
}

/** A namespace: a GitHub organization or a GitLab group. */
export interface ForgeNamespace {
  id: number;
  path: string;
  name: string;
  parentId?: number;
}

/** A repository (GitHub repo / GitLab project). */
export interface ForgeRepo {
  id: number;
  /** Full path, e.g. `backend/payments/api` or `myorg/repo`. */
  fullPath: string;
  name: string;
  description: string;
  archived: boolean;
  visibility: "private" | "internal" | "public";
  defaultBranch: string;
  /** The bare repository on disk. */
  dir: string;
  /** Clone URL the API reports instead of the real one (hostile-server tests). */
  cloneUrl?: string;
}

/** Options of {@link startForge}. */
export interface ForgeOptions {
  flavor: "github" | "gitlab";
  /** Tokens with read and write access. */
  tokens: string[];
  /** Tokens that may read but not write (REST writes and git pushes get 403). */
  readOnlyTokens?: string[];
  /** Server-side cap on `per_page`, to force pagination with few repositories. Default 100. */
  maxPerPage?: number;
  /** Directory for the bare repositories. Default: a fresh temp dir. */
  root?: string;
}

/** The emulator's state and handles. */
export interface Forge {
  flavor: "github" | "gitlab";
  /** Web root, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** REST base: `<url>/api/v3` or `<url>/api/v4`. */
  apiUrl: string;
  /** Host as shown to users (`127.0.0.1:41234`). */
  host: string;
  root: string;
  log: ForgeLogEntry[];
  faults: ForgeFault[];
  namespaces: Map<string, ForgeNamespace>;
  repos: Map<string, ForgeRepo>;
  options: ForgeOptions;
  /** Creates a namespace and its parents; returns the deepest. */
  addNamespace(path: string): ForgeNamespace;
  /** Creates an empty bare repository (and its namespaces). */
  addRepo(fullPath: string, options?: Partial<Omit<ForgeRepo, "id" | "fullPath" | "dir">>): ForgeRepo;
  /**
   * The REST API's create: registers the repository at once (a second create of the name is refused
   * while the first runs) and resolves when its bare repository exists. `git init` runs as a child
   * process the event loop does not wait for, without git's sample hooks — as a forge serves other
   * requests while it creates a repository.
   */
  createRepo(
    fullPath: string,
    options?: Partial<Omit<ForgeRepo, "id" | "fullPath" | "dir">>,
  ): Promise<ForgeRepo>;
  /** `refs -> sha` of a repository's heads and tags, read from disk. */
  refs(fullPath: string): Record<string, string>;
  /** Log entries of one kind, optionally for one repository. */
  ops(op: ForgeOp, repo?: string): ForgeLogEntry[];
  close(): Promise<void>;
}

/** Context handed to the flavour's route table. */
export interface RouteContext {
  forge: Forge;
  req: IncomingMessage;
  url: URL;
  /** Raw path segments after the API prefix, still percent-encoded. */
  segments: string[];
  body: unknown;
  write: boolean;
  send(status: number, body: unknown, headers?: Record<string, string>): void;
  paginate(items: unknown[]): void;
  nextId(): number;
}

const execFileAsync = promisify(execFile);

/** Starts the emulator on 127.0.0.1 with an ephemeral port. */
export async function startForge(options: ForgeOptions): Promise<Forge> {
  const root = options.root ?? tempDir(`rc-forge-${options.flavor}-`);
  const all = [...options.tokens, ...(options.readOnlyTokens ?? [])];
  const git: GitHttpServer = await startGitHttpServer({
    root,
    authorize: (token, _repo, write) => {
      if (token === undefined || !all.includes(token)) return "unauthorized";
      return write && !options.tokens.includes(token) ? "forbidden" : "ok";
    },
  });
  let id = 1000;
  const sockets = new Set<Socket>();
  /** Records a repository (and its namespaces) whose directory is, or is about to be, `dir`. */
  const register = (
    fullPath: string,
    dir: string,
    repo: Partial<Omit<ForgeRepo, "id" | "fullPath" | "dir">>,
  ) => {
    const slash = fullPath.lastIndexOf("/");
    forge.addNamespace(fullPath.slice(0, slash));
    const r: ForgeRepo = {
      id: ++id,
      fullPath,
      name: fullPath.slice(slash + 1),
      description: "",
      archived: false,
      visibility: "private",
      defaultBranch: "main",
      ...repo,
      dir,
    };
    forge.repos.set(fullPath.toLowerCase(), r);
    return r;
  };
  const forge: Forge = {
    flavor: options.flavor,
    url: "",
    apiUrl: "",
    host: "",
    root,
    log: [],
    faults: [],
    namespaces: new Map(),
    repos: new Map(),
    options,
    addNamespace(path) {
      const parts = path.split("/");
      let parent: ForgeNamespace | undefined;
      for (let i = 1; i <= parts.length; i++) {
        const p = parts.slice(0, i).join("/");
        let ns = forge.namespaces.get(p.toLowerCase());
        if (!ns) {
          ns = { id: ++id, path: p, name: parts[i - 1], parentId: parent?.id };
          forge.namespaces.set(p.toLowerCase(), ns);
        }
        parent = ns;
      }
      return parent!;
    },
    addRepo(fullPath, repo = {}) {
      const dir = join(root, `${fullPath}.git`);
      if (!existsSync(dir)) {
        mkdirSync(dir, { recursive: true });
        execFileSync("git", ["init", "-q", "--bare", "-b", repo.defaultBranch ?? "main", dir]);
      }
      return register(fullPath, dir, repo);
    },
    async createRepo(fullPath, repo = {}) {
      const dir = join(root, `${fullPath}.git`);
      const r = register(fullPath, dir, repo);
      mkdirSync(dir, { recursive: true });
      await execFileAsync("git", [
        "init",
        "-q",
        "--bare",
        "--template=",
        "-b",
        repo.defaultBranch ?? "main",
        dir,
      ]);
      return r;
    },
    refs(fullPath) {
      const r = forge.repos.get(fullPath.toLowerCase());
      if (!r) throw new Error(`no repository ${fullPath}`);
      const out = execFileSync("git", ["-C", r.dir, "for-each-ref", "--format=%(objectname) %(refname)"], {
        encoding: "utf8",
      });
      const refs: Record<string, string> = {};
      for (const line of out.split("\n").filter(Boolean)) {
        const [sha, ref] = line.split(" ");
        refs[ref] = sha;
      }
      return refs;
    },
    ops(op, repo) {
      return forge.log.filter((e) => e.op === op && (repo === undefined || e.repo === repo));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => git.close().then(resolve));
      }),
  };
  const routes = options.flavor === "github" ? githubRoutes : gitlabRoutes;
  const prefix = options.flavor === "github" ? "/api/v3/" : "/api/v4/";

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const rawPath = url.pathname;
    const { token } = tokenOf(req);
    const entry: ForgeLogEntry = {
      method: req.method ?? "GET",
      path: decodeURIComponent(rawPath),
      query: url.search,
      op: rawPath.startsWith(prefix) ? "api" : "other",
      auth: token === undefined ? "none" : all.includes(token) ? "valid" : "invalid",
      at: Date.now(),
    };
    forge.log.push(entry);
    res.on("finish", () => {
      entry.status = res.statusCode;
      entry.done = Date.now();
    });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (entry.op === "other") classifyGit(entry, url, body, req);
      const fault = takeFault(forge.faults, entry.path, entry.query);
      entry.fault = fault?.kind;
      if (fault?.kind === "drop") return void req.socket.destroy();
      if (fault?.kind === "hang") return;
      if (fault?.kind === "status") {
        const isJson = fault.body !== undefined;
        res.writeHead(fault.status, {
          "content-type": isJson ? "application/json; charset=utf-8" : "text/plain",
          ...(fault.headers ?? {}),
        });
        return void res.end(isJson ? JSON.stringify(fault.body) : `injected ${fault.status}\n`);
      }
      const go = () => {
        if (entry.op !== "api") {
          const replay = Object.assign(Readable.from(body.length ? [body] : []), {
            headers: req.headers,
            method: req.method,
            url: req.url,
            socket: req.socket,
          }) as unknown as IncomingMessage;
          return git.handle(replay, res, entry.path);
        }
        api(req, res, url, rawPath.slice(prefix.length), body, token);
      };
      if (fault?.kind === "delay") setTimeout(go, fault.ms);
      else if (fault?.kind === "hold") {
        fault.onHold?.(entry);
        fault.until.then(go, () => req.socket.destroy());
      } else go();
    });
  });

  const api = (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    rest: string,
    raw: Buffer,
    token: string | undefined,
  ) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        "content-type": "application/json; charset=utf-8",
        ...rateLimitHeaders(),
        ...headers,
      });
      res.end(JSON.stringify(body));
    };
    if (token === undefined || !all.includes(token)) {
      const msg = options.flavor === "github"
        ? { message: "Bad credentials" }
        : { message: "401 Unauthorized" };
      return send(401, msg);
    }
    const write = req.method !== "GET" && req.method !== "HEAD";
    if (write && !options.tokens.includes(token)) {
      const msg = options.flavor === "github"
        ? { message: "Resource not accessible by personal access token" }
        : { error: "insufficient_scope", message: "403 Forbidden" };
      return send(403, msg);
    }
    let body: unknown = undefined;
    try {
      body = raw.length ? JSON.parse(raw.toString("utf8")) : undefined;
    } catch {
      return send(400, { message: "Problems parsing JSON" });
    }
    const ctx: RouteContext = {
      forge,
      req,
      url,
      segments: rest.split("/").filter(Boolean),
      body,
      write,
      send,
      paginate: (items) => paginate(ctx, items),
      nextId: () => ++id,
    };
    routes(ctx);
  };

  let remaining = 5000;
  const rateLimitHeaders = () => {
    remaining = Math.max(0, remaining - 1);
    const reset = String(Math.floor(Date.now() / 1000) + 3600);
    return options.flavor === "github"
      ? {
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": String(remaining),
        "x-ratelimit-used": String(5000 - remaining),
        "x-ratelimit-reset": reset,
        "x-ratelimit-resource": "core",
      }
      : { "ratelimit-limit": "2000", "ratelimit-remaining": String(remaining), "ratelimit-reset": reset };
  };

  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  forge.host = `127.0.0.1:${port}`;
  forge.url = `http://${forge.host}`;
  forge.apiUrl = `${forge.url}${prefix.slice(0, -1)}`;
  return forge;
}

/** Pagination as the real servers do it: `page`/`per_page`, a Link header, GitLab's x-* headers. */
function paginate(ctx: RouteContext, items: unknown[]): void {
  const { url, forge } = ctx;
  const cap = forge.options.maxPerPage ?? 100;
  const dflt = forge.flavor === "github" ? 30 : 20;
  const perPage = Math.min(cap, Math.max(1, parseInt(url.searchParams.get("per_page") ?? "", 10) || dflt));
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const page = Math.min(totalPages + 1, Math.max(1, parseInt(url.searchParams.get("page") ?? "", 10) || 1));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const link = (p: number, rel: string) => {
    const u = new URL(url.pathname + url.search, forge.url);
    u.searchParams.set("page", String(p));
    u.searchParams.set("per_page", String(perPage));
    return `<${u.href}>; rel="${rel}"`;
  };
  const links = [
    ...(page > 1 ? [link(page - 1, "prev")] : []),
    ...(page < totalPages ? [link(page + 1, "next")] : []),
    link(1, "first"),
    link(totalPages, "last"),
  ];
  const headers: Record<string, string> = { link: links.join(", ") };
  if (forge.flavor === "gitlab") {
    Object.assign(headers, {
      "x-page": String(page),
      "x-per-page": String(perPage),
      "x-total": String(items.length),
      "x-total-pages": String(totalPages),
      "x-next-page": page < totalPages ? String(page + 1) : "",
      "x-prev-page": page > 1 ? String(page - 1) : "",
    });
  }
  ctx.send(200, slice, headers);
}

/** Names what a git request does; protocol v2 bodies say `command=ls-refs` or `command=fetch`. */
function classifyGit(entry: ForgeLogEntry, url: URL, body: Buffer, req: IncomingMessage): void {
  const m = entry.path.match(/^\/(.+?)\.git(\/.*)$/);
  if (!m) return;
  entry.repo = m[1];
  const rest = m[2];
  if (rest.startsWith("/info/lfs")) entry.op = "lfs";
  else if (rest === "/info/refs") entry.op = "advertise";
  else if (rest === "/git-receive-pack") entry.op = "push";
  else if (rest === "/git-upload-pack") {
    let text = body;
    try {
      if (req.headers["content-encoding"] === "gzip") text = gunzipSync(body);
    } catch {
      // leave it undecoded: classified as fetch below
    }
    const s = text.subarray(0, 4096).toString("latin1");
    entry.op = s.includes("command=ls-refs") ? "ls-refs" : "fetch";
  }
  void url;
}

function takeFault(faults: ForgeFault[], path: string, query: string): ForgeFault | undefined {
  const i = faults.findIndex((f) => f.match.test(path) && (!f.query || f.query.test(query)));
  if (i < 0) return undefined;
  const f = faults[i];
  const left = (f.times ?? 1) - 1;
  if (left <= 0) faults.splice(i, 1);
  else f.times = left;
  return f;
}
