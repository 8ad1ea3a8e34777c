/**
 * A GitLab forge and a GitHub forge on 127.0.0.1, a cache dir and a log file, plus `run()` which
 * drives the real sync engine (settings resolver, octokit, @gitbeaker/rest, git) and the terminal
 * view in-process, capturing the terminal text and the JSON log records of that run.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ConfigFile } from "../../src/config/schema.ts";
import { Logger, type LogRecord } from "../../src/log/logger.ts";
import { runSync, type SyncOutcome } from "../../src/sync/engine.ts";
import { resolveSyncSettings, type SyncFlags, type SyncSettings } from "../../src/sync/settings.ts";
import { Terminal } from "../../src/cli/terminal.ts";
import { endpointLabels, SyncView, targetTypes } from "../../src/cli/sync_view.ts";
import { CANARY, tempDir } from "./binary.ts";
import { type Forge, startForge } from "./forge.ts";

/** Source token of the fixture (GitLab side). */
export const SOURCE_TOKEN = "glpat-source-tok-4d2e8a";

/** One in-process run. */
export interface FixtureRun extends SyncOutcome {
  /** Terminal text of the run. */
  out: string;
  /** JSON log records of the run. */
  log: LogRecord[];
  /** Thrown error, if the run threw. */
  error?: unknown;
  settings?: SyncSettings;
}

/** The fixture. */
export interface SyncFixture {
  gl: Forge;
  gh: Forge;
  cacheDir: string;
  logFile: string;
  /** Config with a GitLab source (group `backend`) and a GitHub target (org `myorg`), test-fast settings. */
  config(extra?: Partial<ConfigFile>): ConfigFile;
  run(
    options?: { config?: ConfigFile; flags?: SyncFlags; env?: Record<string, string> },
  ): Promise<FixtureRun>;
  close(): Promise<void>;
}

/** Starts both forges (GitLab group `backend`, GitHub org `myorg`); both accept both tokens by default. */
export async function startSyncFixture(
  options: { maxPerPage?: number; glTokens?: string[]; ghTokens?: string[] } = {},
): Promise<SyncFixture> {
  const gl = await startForge({
    flavor: "gitlab",
    tokens: options.glTokens ?? [SOURCE_TOKEN, CANARY],
    maxPerPage: options.maxPerPage,
  });
  const gh = await startForge({
    flavor: "github",
    tokens: options.ghTokens ?? [CANARY, SOURCE_TOKEN],
    maxPerPage: options.maxPerPage,
  });
  gh.addNamespace("myorg");
  gl.addNamespace("backend");
  const dir = tempDir("rc-sync-");
  const cacheDir = join(dir, "cache");
  const logFile = join(dir, "sync.log");
  let session = 0;
  const fixture: SyncFixture = {
    gl,
    gh,
    cacheDir,
    logFile,
    config: (extra = {}) => ({
      sources: [{
        type: "gitlab",
        url: gl.url,
        token: SOURCE_TOKEN,
        groups: ["backend"],
        include_archived: false,
      }],
      targets: [{ type: "github", url: gh.url, organization: "myorg", token: CANARY }],
      concurrency: {
        max_parallel: 2,
        timeout_per_repo_seconds: 30,
        max_retries: 3,
        retry_backoff_seconds: 0.05,
      },
      ...extra,
    }),
    async run(opts = {}) {
      const chunks: string[] = [];
      const terminal = new Terminal({ out: { write: (s: string) => chunks.push(s) }, color: false });
      const logger = new Logger({ sessionId: `sync-test-${++session}`, file: logFile });
      const before = readLog(logFile).length;
      let settings: SyncSettings | undefined;
      try {
        settings = resolveSyncSettings(opts.config ?? fixture.config(), {
          env: opts.env ?? {},
          flags: { cacheDir, ...(opts.flags ?? {}) },
        });
        const view = new SyncView(terminal, {
          dryRun: settings.dryRun,
          maxRetries: settings.maxRetries,
          bidirectional: settings.bidirectional !== undefined,
        });
        view.header({
          sessionId: logger.sessionId,
          sourceType: settings.sources[0].type,
          targetType: targetTypes(settings),
          ...endpointLabels(settings),
        });
        const outcome = await runSync(settings, { logger, events: view.events(settings.shard) });
        view.summary(outcome.result, logFile);
        return { ...outcome, out: chunks.join(""), log: readLog(logFile).slice(before), settings };
      } catch (error) {
        return {
          result: undefined as never,
          error,
          out: chunks.join(""),
          log: readLog(logFile).slice(before),
          settings,
        };
      } finally {
        logger.close();
      }
    },
    close: async () => {
      await gl.close();
      await gh.close();
    },
  };
  return fixture;
}

/** Every JSON record of a log file. */
export function readLog(file: string): LogRecord[] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
}
