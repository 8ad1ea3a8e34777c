/**
 * A small npm registry for tests: node:http on 127.0.0.1 serving packuments and tarballs made from
 * fixture package directories with the real `npm pack`. Scoped packages (`@scope/name`, requested as
 * `/@scope%2fname`) and optional token auth (`Authorization: Bearer <token>`) are supported; every
 * request is logged so tests can prove that nothing reached the registry.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";

/** One fixture package version: its package.json fields and files. */
export interface NpmFixture {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  license?: string;
  /** package.json scripts (e.g. a postinstall hook). */
  scripts?: Record<string, string>;
  /** File name -> content. Default: an index.js exporting the package name. */
  files?: Record<string, string>;
}

/** A running registry. */
export interface NpmRegistry {
  /** Base URL, ending in "/". */
  url: string;
  port: number;
  /** Paths requested, in order, with the status answered. */
  log: Array<{ path: string; status: number }>;
  close(): Promise<void>;
}

interface Built {
  fixture: NpmFixture;
  tarball: Buffer;
  file: string;
}

/** Packs each fixture with `npm pack` into `workDir` (offline: npm pack needs no registry). */
export function packFixtures(fixtures: NpmFixture[], workDir: string): Built[] {
  const out: Built[] = [];
  for (const f of fixtures) {
    const src = join(workDir, "src", f.name.replace("/", "__"), f.version);
    const dest = join(workDir, "tarballs");
    mkdirSync(src, { recursive: true });
    mkdirSync(dest, { recursive: true });
    const pkg = {
      name: f.name,
      version: f.version,
      main: "index.js",
      license: f.license,
      scripts: f.scripts,
      dependencies: f.dependencies ?? {},
    };
    writeFileSync(join(src, "package.json"), JSON.stringify(pkg, null, 2));
    const files = f.files ??
      { "index.js": `module.exports = ${JSON.stringify(f.name + "@" + f.version)};\n` };
    for (const [name, content] of Object.entries(files)) writeFileSync(join(src, name), content);
    const before = new Set(readdirSync(dest));
    const r = spawnSync("npm", ["pack", "--pack-destination", dest, "--silent", "--offline"], {
      cwd: src,
      encoding: "utf8",
      env: { ...process.env, npm_config_cache: join(workDir, "pack-cache") },
    });
    if (r.status !== 0) throw new Error(`npm pack of ${f.name} failed: ${r.stderr}`);
    const file = readdirSync(dest).find((n) => !before.has(n));
    if (!file) throw new Error(`npm pack of ${f.name} wrote nothing`);
    out.push({ fixture: f, tarball: readFileSync(join(dest, file)), file });
  }
  return out;
}

/** Options of {@link startNpmRegistry}. */
export interface NpmRegistryOptions {
  /** When set, every request must carry `Authorization: Bearer <token>`; otherwise 401. */
  token?: string;
}

/** Starts the registry on an ephemeral loopback port serving the packed fixtures. */
export async function startNpmRegistry(
  packages: Built[],
  options: NpmRegistryOptions = {},
): Promise<NpmRegistry> {
  const byName = new Map<string, Built[]>();
  for (const b of packages) byName.set(b.fixture.name, [...(byName.get(b.fixture.name) ?? []), b]);
  const log: NpmRegistry["log"] = [];
  const sockets = new Set<Socket>();
  let base = "";
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]);
    const send = (status: number, body: string | Buffer, type = "application/json") => {
      log.push({ path, status });
      res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
      res.end(body);
    };
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      res.setHeader("www-authenticate", 'Bearer realm="test"');
      return send(401, JSON.stringify({ error: "authentication required" }));
    }
    const tar = /^\/(.+)\/-\/([^/]+\.tgz)$/.exec(path);
    if (tar) {
      const hit = (byName.get(tar[1]) ?? []).find((b) => b.file === tar[2] || tarName(b) === tar[2]);
      return hit ? send(200, hit.tarball, "application/octet-stream") : send(404, '{"error":"not found"}');
    }
    const versions = byName.get(path.slice(1));
    if (!versions) return send(404, JSON.stringify({ error: "Not found" }));
    send(200, JSON.stringify(packument(path.slice(1), versions, base)));
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}/`;
  return {
    url: base,
    port,
    log,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function tarName(b: Built): string {
  const bare = b.fixture.name.includes("/") ? b.fixture.name.split("/")[1] : b.fixture.name;
  return `${bare}-${b.fixture.version}.tgz`;
}

function packument(name: string, versions: Built[], base: string): unknown {
  const doc: Record<string, unknown> = {};
  for (const b of versions) {
    const f = b.fixture;
    doc[f.version] = {
      name,
      version: f.version,
      main: "index.js",
      license: f.license,
      scripts: f.scripts,
      hasInstallScript: f.scripts?.postinstall || f.scripts?.install ? true : undefined,
      dependencies: f.dependencies ?? {},
      dist: {
        tarball: `${base}${name}/-/${tarName(b)}`,
        shasum: createHash("sha1").update(b.tarball).digest("hex"),
        integrity: `sha512-${createHash("sha512").update(b.tarball).digest("base64")}`,
      },
    };
  }
  const latest = versions.map((b) => b.fixture.version).sort().at(-1)!;
  return { name, "dist-tags": { latest }, versions: doc };
}
