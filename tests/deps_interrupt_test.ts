/**
 * SIGTERM/SIGINT while `archive create` fetches dependencies: pip and npm are stopped with the command,
 * which ends with 143/130 after one signal, leaving no archive and no tool process behind. The index and
 * the registry are a loopback server that accepts connections and never answers, so the tools would
 * wait for their own timeouts. Run `bash scripts/compile.sh` first.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { BINARY, cleanPath, tempDir } from "./support/binary.ts";
import { buildProjectRepo, clientEnv } from "./support/dep_fixtures.ts";
import { processList } from "./support/proc_scan.ts";

/** A TCP server on 127.0.0.1 that takes connections, counts them, and says nothing. */
async function silentServer(): Promise<
  { url: string; connections: () => number; close: () => Promise<void> }
> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/simple/`,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Live processes whose command line or working directory is inside `dir`. */
function processesIn(dir: string): string[] {
  return processList().filter((p) => {
    if (p.argv.join(" ").includes(dir)) return true;
    try {
      return readlinkSync(`/proc/${p.pid}/cwd`).startsWith(dir);
    } catch {
      return false;
    }
  }).map((p) => p.argv.join(" "));
}

async function waitFor(cond: () => boolean, polls = 3000): Promise<boolean> {
  for (let i = 0; i < polls; i++) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return cond();
}

for (
  const { signal, code, tool, projects } of [
    {
      signal: "SIGTERM" as const,
      code: 143,
      tool: /\bpip\b/,
      projects: (_registry: string) => [{ root: ".", files: { "requirements.txt": "alpha==1.0\n" } }],
    },
    {
      signal: "SIGINT" as const,
      code: 130,
      tool: /\bnpm\b/,
      projects: (registry: string) => [{
        root: ".",
        files: {
          "package.json": JSON.stringify({ name: "web", version: "1.0.0", dependencies: { top: "1.0.0" } }),
          "package-lock.json": JSON.stringify({
            name: "web",
            version: "1.0.0",
            lockfileVersion: 3,
            requires: true,
            packages: {
              "": { name: "web", version: "1.0.0", dependencies: { top: "1.0.0" } },
              "node_modules/top": {
                version: "1.0.0",
                resolved: `${registry}top/-/top-1.0.0.tgz`,
                integrity:
                  "sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
              },
            },
          }),
        },
      }],
    },
  ]
) {
  Deno.test(`${signal} while ${tool.source.replace(/\\b/g, "")} fetches dependencies: exit ${code} after one signal, no tool left running, no archive`, async () => {
    const dir = tempDir("rc-deps-intr-");
    const silent = await silentServer();
    try {
      const registry = silent.url.replace(/simple\/$/, "");
      const { work } = await buildProjectRepo(dir, "app", { projects: projects(registry) });
      const env = clientEnv(dir, { pypiUrl: silent.url, npmUrl: registry });
      delete env.PATH;
      const out = join(dir, "archives");
      const child = spawn(BINARY, ["archive", "create", work, "--output", out], {
        env: { ...env, PATH: cleanPath({ withNode: true }), NO_COLOR: "1", TMPDIR: dir },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const err: Buffer[] = [];
      child.stdout!.on("data", () => {});
      child.stderr!.on("data", (d) => err.push(d));
      const done = new Promise<number>((resolve) =>
        child.on("close", (c, s) => resolve(c ?? (s === "SIGTERM" ? 143 : s === "SIGINT" ? 130 : 128)))
      );
      const toolRunning = () => processesIn(dir).some((c) => tool.test(c));
      // The tool is waiting on the silent server: without the kill it would wait out its timeout and
      // retry (pip: 30 s × 3 connections; npm: minutes), connecting again.
      assert.ok(await waitFor(() => silent.connections() > 0 && toolRunning()), "the tool never connected");
      const atSignal = silent.connections();
      child.kill(signal);
      const exit = await done;
      const stderr = Buffer.concat(err).toString("utf8");
      assert.equal(exit, code, stderr);
      assert.match(stderr, new RegExp(`Interrupted by ${signal}`));
      assert.equal(silent.connections(), atSignal, "the tool went on (it retried) after the signal");
      assert.ok(await waitFor(() => !toolRunning(), 500), `still running: ${processesIn(dir).join("\n")}`);
      assert.deepEqual(existsSync(out) ? readdirSync(out).filter((n) => n.endsWith(".tar.gz")) : [], []);
    } finally {
      await silent.close();
    }
  });
}
