import type { MetricsConfig } from "../config/ops_schema.ts";
import { type ModuleLogger, nullLogger } from "../log/logger.ts";
import { loadMetricsState, saveMetricsState } from "./metrics_state.ts";
import { pushToGateway } from "./pushgateway.ts";
import { RepoClonerMetrics } from "./registry.ts";
import { type MetricsServer, startMetricsServer } from "./server.ts";
import { writeTextfile } from "./textfile.ts";

/** Options of {@link MetricsPublisher.open}. */
export interface MetricsPublisherOptions {
  /** State file (counters across runs). Default: `metrics.state_file`, else none (counters start at 0). */
  stateFile?: string;
  /** Extra Pushgateway grouping labels, e.g. `{ shard: "1/4" }`; merged over `metrics.grouping`. */
  grouping?: Record<string, string>;
  /** Where problems are logged (WARNING). Default: nowhere. */
  logger?: ModuleLogger;
  /** fetch for the Pushgateway. Default the global one. */
  fetch?: typeof fetch;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
}

/**
 * Collects metrics for a run (or a scheduled process) and publishes them as `metrics` config says:
 * state file (so counters keep counting across one-shot runs), node_exporter textfile, Pushgateway and,
 * in scheduled mode, the `/metrics` + `/healthz` listener. Publishing never throws: a failing output is
 * logged at WARNING and the others still run, because metrics must not fail a sync.
 *
 * Each process that runs at the same time as another (parallel shards on one host) needs its own
 * state file, textfile and Pushgateway grouping; the last writer wins otherwise.
 */
export class MetricsPublisher {
  /** The registry to record into. */
  readonly metrics: RepoClonerMetrics;
  readonly #config?: MetricsConfig;
  readonly #stateFile?: string;
  readonly #grouping: Record<string, string>;
  readonly #log: ModuleLogger;
  readonly #fetch?: typeof fetch;
  #server?: MetricsServer;

  private constructor(config: MetricsConfig | undefined, options: MetricsPublisherOptions) {
    this.#config = config?.enabled === false ? undefined : config;
    this.#stateFile = this.#config ? (options.stateFile ?? config?.state_file) : undefined;
    this.#grouping = { ...(config?.grouping ?? {}), ...(options.grouping ?? {}) };
    this.#log = options.logger ?? nullLogger();
    this.#fetch = options.fetch;
    this.metrics = new RepoClonerMetrics({ now: options.now });
  }

  /** Builds the publisher and restores saved counters from the state file, if any. */
  static open(config: MetricsConfig | undefined, options: MetricsPublisherOptions = {}): MetricsPublisher {
    const p = new MetricsPublisher(config, options);
    if (p.#stateFile) {
      const snap = loadMetricsState(p.#stateFile, { onProblem: (m) => p.#log.warning(m) });
      if (snap) p.metrics.restore(snap);
    }
    return p;
  }

  /** True when `metrics` is configured and enabled. */
  get enabled(): boolean {
    return this.#config !== undefined;
  }

  /**
   * Saves the state file, writes the textfile and pushes to the Pushgateway (each when configured).
   * Returns the problems it logged (empty when all went well).
   */
  async publish(): Promise<string[]> {
    const problems: string[] = [];
    const c = this.#config;
    if (!c) return problems;
    const attempt = async (what: string, fn: () => Promise<void> | void) => {
      try {
        await fn();
      } catch (e) {
        const m = (e as Error).message;
        const message = m.startsWith("Cannot ") ? m : `Cannot ${what}: ${m}`;
        problems.push(message);
        this.#log.warning(message, { error_type: "MetricsError" });
      }
    };
    if (this.#stateFile) {
      const file = this.#stateFile;
      await attempt(
        `save metrics state "${file}"`,
        async () => saveMetricsState(file, await this.metrics.snapshot()),
      );
    }
    if (c.textfile) {
      const file = c.textfile;
      await attempt(`write metrics textfile "${file}"`, () => writeTextfile(file, this.metrics));
    }
    if (c.pushgateway_url) {
      const url = c.pushgateway_url;
      await attempt("push metrics", () =>
        pushToGateway(url, this.metrics, {
          job: c.job,
          grouping: this.#grouping,
          timeoutMs: c.timeout_seconds * 1000,
          fetch: this.#fetch,
        }));
    }
    return problems;
  }

  /**
   * Starts the `/metrics` + `/healthz` listener when `metrics.listen` is set (scheduled mode).
   * @throws Error when the address cannot be bound: a scheduled process without its listener would
   * be invisible, so this is the one metrics failure that stops the command.
   */
  async listen(): Promise<MetricsServer | undefined> {
    const c = this.#config;
    if (!c?.listen || this.#server) return this.#server;
    this.#server = await startMetricsServer(c.listen, this.metrics, { unhealthyAfter: c.unhealthy_after });
    this.#log.info("Metrics listener started", { url: this.#server.url });
    return this.#server;
  }

  /** Stops the listener, if started. */
  async close(): Promise<void> {
    await this.#server?.close();
    this.#server = undefined;
  }
}
