/**
 * The real Debian `prometheus` server for tests: 127.0.0.1 on a free port, a throw-away TSDB, a
 * generated config scraping the given targets every second, no remote write/read, no alerting.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./prometheus_tools.ts";

/** One sample vector/matrix element of the HTTP API. */
export interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

/** A `/api/v1/query*` answer. */
export interface PromAnswer {
  status: "success" | "error";
  errorType?: string;
  error?: string;
  data?: { resultType: "vector" | "matrix" | "scalar" | "string"; result: PromSeries[] | [number, string] };
}

/** A running Prometheus. */
export interface PrometheusServer {
  url: string;
  /** Instant query at `time` (Unix seconds; default now). */
  query(expr: string, time?: number): Promise<PromAnswer>;
  /** Range query. */
  queryRange(expr: string, start: number, end: number, step: number): Promise<PromAnswer>;
  /** `/api/v1/label/<label>/values?match[]=<selector>`. */
  labelValues(label: string, match: string): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Starts `prometheus` scraping `targets` (host:port, path /metrics) with `scrape_interval: 1s` and
 * `honor_labels: true` (a Pushgateway's job/instance labels are kept), and waits (bounded) for
 * `/-/ready`.
 */
export async function startPrometheus(targets: string[]): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), "rc-prometheus-"));
  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: repo-cloner-test
    honor_labels: true
    static_configs:
      - targets: ${JSON.stringify(targets)}
`,
  );
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn("prometheus", [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d) => stderr = (stderr + d).slice(-8000));
    let exited = false;
    const exit = new Promise<void>((r) => child.on("exit", () => (exited = true, r())));
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 400 && !exited; i++) {
      try {
        const res = await fetch(`${url}/-/ready`);
        await res.body?.cancel();
        if (res.ok) return server(url, child, exit, dir);
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    await exit;
    if (!/address already in use/.test(stderr)) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`prometheus did not start:\n${stderr}`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error("prometheus did not start: no free port after 3 attempts");
}

function server(url: string, child: ChildProcess, exit: Promise<void>, dir: string): PrometheusServer {
  const get = async (path: string, params: Record<string, string>) => {
    const res = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
    return await res.json() as PromAnswer;
  };
  return {
    url,
    query: (expr, time) => get("/api/v1/query", { query: expr, time: String(time ?? Date.now() / 1000) }),
    queryRange: (expr, start, end, step) =>
      get("/api/v1/query_range", { query: expr, start: String(start), end: String(end), step: String(step) }),
    labelValues: async (label, match) => {
      const res = await fetch(
        `${url}/api/v1/label/${label}/values?${new URLSearchParams({ "match[]": match })}`,
      );
      return ((await res.json()) as { data: string[] }).data;
    },
    close: async () => {
      child.kill("SIGTERM");
      await exit;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
