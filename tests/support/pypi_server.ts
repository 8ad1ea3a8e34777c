/**
 * A PEP 503 "simple" package index for tests: node:http on 127.0.0.1 serving the distribution files
 * in one directory (wheels and sdists built by `py_fixtures.ts`), with `#sha256=` fragments, optional
 * HTTP Basic auth and a request log.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";

/** Options of {@link startPypiServer}. */
export interface PypiOptions {
  /** Directory holding `.whl` and `.tar.gz` files. */
  dir: string;
  /** When set, every request needs these Basic credentials; otherwise 401. */
  auth?: { username: string; password: string };
}

/** A running index. */
export interface PypiServer {
  /** The simple index URL, e.g. `http://127.0.0.1:4321/simple/`. */
  url: string;
  port: number;
  log: Array<{ path: string; status: number; user?: string }>;
  close(): Promise<void>;
}

/** PEP 503 name normalisation. */
export function normalizeName(name: string): string {
  return name.replace(/[-_.]+/g, "-").toLowerCase();
}

/** Project name of a distribution file name (wheel or sdist). */
function projectOf(file: string): string {
  if (file.endsWith(".whl")) return normalizeName(file.split("-")[0]);
  return normalizeName(file.replace(/\.(tar\.gz|zip)$/, "").replace(/-[^-]+$/, ""));
}

/** Starts the index on an ephemeral loopback port. Files are read when requested. */
export async function startPypiServer(options: PypiOptions): Promise<PypiServer> {
  const log: PypiServer["log"] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]);
    let user: string | undefined;
    const send = (status: number, body: string | Buffer, type = "text/html") => {
      log.push({ path, status, user });
      res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
      res.end(body);
    };
    if (options.auth) {
      const h = req.headers.authorization ?? "";
      const dec = h.startsWith("Basic ") ? Buffer.from(h.slice(6), "base64").toString("utf8") : "";
      user = dec.split(":")[0] || undefined;
      if (dec !== `${options.auth.username}:${options.auth.password}`) {
        res.setHeader("www-authenticate", 'Basic realm="test index"');
        return send(401, "unauthorized");
      }
    }
    const files = readdirSync(options.dir).filter((f) => /\.(whl|tar\.gz|zip)$/.test(f));
    if (path === "/simple/") {
      const names = [...new Set(files.map(projectOf))].sort();
      return send(200, page(names.map((n) => `<a href="/simple/${n}/">${n}</a>`)));
    }
    const project = /^\/simple\/([^/]+)\/?$/.exec(path);
    if (project) {
      const mine = files.filter((f) => projectOf(f) === normalizeName(project[1]));
      if (mine.length === 0) return send(404, "not found");
      return send(
        200,
        page(mine.map((f) => {
          const sha = createHash("sha256").update(readFileSync(join(options.dir, f))).digest("hex");
          return `<a href="/files/${f}#sha256=${sha}">${f}</a>`;
        })),
      );
    }
    const file = /^\/files\/([^/]+)$/.exec(path);
    if (file && files.includes(file[1])) {
      return send(200, readFileSync(join(options.dir, file[1])), "application/octet-stream");
    }
    send(404, "not found");
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/simple/`,
    port,
    log,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function page(links: string[]): string {
  return `<!DOCTYPE html><html><body>\n${links.join("<br/>\n")}\n</body></html>\n`;
}
