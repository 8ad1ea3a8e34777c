import { Logger, parseLogLevel } from "../log/logger.ts";
import { type AttachedShippers, attachShippers } from "../log/shippers/mod.ts";
import { defaultLogPath, sessionId } from "../log/session.ts";
import { loadConfigFile } from "../config/load.ts";
import type { ConfigFile } from "../config/schema.ts";
import { Terminal } from "./terminal.ts";

/** Global options every command accepts. */
export interface GlobalOptions {
  config?: string;
  logFile?: string;
  logLevel?: string;
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
}

/** What a command handler works with: one session's logger, terminal and config. */
export interface CommandContext {
  sessionId: string;
  logger: Logger;
  terminal: Terminal;
  config: ConfigFile;
  logFile: string;
  env: Record<string, string | undefined>;
  /** Log shippers of `logging.integrations`; main.ts closes them (last flush) before exiting. */
  shippers: AttachedShippers;
}

/** Live contexts, so `main.ts` can log a failure into the session that was open. */
export const openContexts: CommandContext[] = [];

/**
 * Opens a session: loads the config file (if any), picks the log file (flag, then config
 * `logging.output.file`, then `/tmp/repo-cloner-<session>.log`) and builds the terminal view.
 */
export function openContext(kind: string, globals: GlobalOptions): CommandContext {
  const env = { ...process.env };
  const config = globals.config ? loadConfigFile(globals.config, env) : {};
  const id = sessionId(kind);
  const logFile = globals.logFile ?? config.logging?.output?.file ?? defaultLogPath(id);
  const level = parseLogLevel(globals.logLevel ?? config.logging?.level ?? "INFO");
  const logger = new Logger({ sessionId: id, file: logFile, level });
  const terminal = new Terminal({
    json: globals.json,
    quiet: globals.quiet,
    color: globals.color === false || env.NO_COLOR ? false : undefined,
  });
  const shippers = attachShippers(logger, config.logging?.integrations);
  const ctx = { sessionId: id, logger, terminal, config, logFile, env, shippers };
  openContexts.push(ctx);
  return ctx;
}
