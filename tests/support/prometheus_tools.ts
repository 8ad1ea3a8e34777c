/**
 * The real Debian Prometheus tools for tests: `promtool check metrics` and a `prometheus-pushgateway`
 * started on 127.0.0.1 with a free port and no persistence file (in memory only).
 */
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";

/** Runs `promtool check metrics` on exposition text; `ok` is its exit status 0, `output` what it said. */
export function promtoolCheckMetrics(text: string): { ok: boolean; code: number | null; output: string } {
  const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  if (r.error) throw r.error;
  return { ok: r.status === 0, code: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/** A free TCP port on 127.0.0.1 (bound and released; the caller binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A running Pushgateway. */
export interface Pushgateway {
  url: string;
  close(): Promise<void>;
}

/** Starts `prometheus-pushgateway` on 127.0.0.1 and waits (bounded) until `/-/ready` answers 200. */
export async function startPushgateway(): Promise<Pushgateway> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    // Debian's default --persistence.file is /var/lib/prometheus/pushgateway.data, shared by every
    // gateway on the machine: empty keeps this one's metrics in memory only.
    const args = [`--web.listen-address=127.0.0.1:${port}`, "--persistence.file=", "--log.level=warn"];
    const child = spawn("prometheus-pushgateway", args, {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => stderr += d);
    let exited = false;
    const exit = new Promise<void>((r) => child.on("exit", () => (exited = true, r())));
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 200 && !exited; i++) {
      try {
        const res = await fetch(`${url}/-/ready`);
        await res.body?.cancel();
        if (res.ok) {
          return {
            url,
            close: async () => {
              child.kill("SIGTERM");
              await exit;
            },
          };
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    await exit;
    if (!/address already in use/.test(stderr)) {
      throw new Error(`prometheus-pushgateway did not start: ${stderr}`);
    }
  }
  throw new Error("prometheus-pushgateway did not start: no free port after 3 attempts");
}

/** Parses exposition text into `name{labels} → value` (labels as written), skipping comments. */
export function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)(?: \d+)?$/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}
