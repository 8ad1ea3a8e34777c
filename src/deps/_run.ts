import { spawnDetached } from "../children.ts";
import { redactor } from "../log/redact.ts";
import { type ModuleLogger, nullLogger } from "../log/logger.ts";

/** Result of a finished tool process. Output is bounded: see {@link RunToolOptions.keep}. */
export interface ToolResult {
  code: number;
  /** Lines kept from stdout and stderr (interleaved), redacted. */
  lines: string[];
  /** Full stdout when `captureStdout`, else "". */
  stdout: string;
}

/** Options of {@link runTool}. */
export interface RunToolOptions {
  cwd?: string;
  /** The child's complete environment (nothing is inherited beyond it). */
  env: Record<string, string>;
  logger?: ModuleLogger;
  /** Lines always kept (besides the last `tail` lines). Default: none. */
  keep?: (line: string) => boolean;
  /** How many trailing lines to keep. Default 40. */
  tail?: number;
  /** Collect stdout whole (for small JSON answers). Default false. */
  captureStdout?: boolean;
  /** Text written to stdin. Default: stdin closed. */
  input?: string;
}

/** The tool is not installed (spawn failed with ENOENT). */
export class ToolMissing extends Error {
  constructor(readonly tool: string) {
    super(`${tool} is not installed or not on PATH`);
  }
}

const MAX_KEPT = 400;

/**
 * Runs an ecosystem tool (pip, npm, python3) with arguments as an array and a fully specified
 * environment, in its own process group (an interrupt kills it: `killAllChildren`), keeping a bounded,
 * redacted selection of its output lines. Never throws for a
 * non-zero exit (callers classify the output); rejects with {@link ToolMissing} when the program
 * does not exist. Secrets belong in `env`, never in `args`.
 */
export function runTool(cmd: string, args: string[], options: RunToolOptions): Promise<ToolResult> {
  const log = options.logger ?? nullLogger();
  log.debug(`${cmd} ${redactor.redact(args.join(" "))}`, { cwd: options.cwd });
  const tail = options.tail ?? 40;
  return new Promise((resolve, reject) => {
    const child = spawnDetached(cmd, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    if (options.input !== undefined) {
      child.stdin?.on("error", () => {}); // the child may exit without reading; its exit code tells
      child.stdin?.end(options.input);
    }
    const kept: string[] = [];
    const last: string[] = [];
    const out: Buffer[] = [];
    const partial = { stdout: "", stderr: "" };
    const onLine = (line: string) => {
      const clean = redactor.redact(line.replace(/\r/g, "").trimEnd());
      if (!clean) return;
      if (options.keep?.(clean) && kept.length < MAX_KEPT) kept.push(clean);
      else {
        last.push(clean);
        if (last.length > tail) last.shift();
      }
    };
    const feed = (which: "stdout" | "stderr") => (d: Buffer) => {
      if (which === "stdout" && options.captureStdout) out.push(d);
      const text = partial[which] + d.toString("utf8");
      const parts = text.split("\n");
      partial[which] = parts.pop() ?? "";
      if (partial[which].length > 65536) partial[which] = partial[which].slice(-65536);
      for (const p of parts) onLine(p);
    };
    child.stdout?.on("data", feed("stdout"));
    child.stderr?.on("data", feed("stderr"));
    child.on("error", (e: NodeJS.ErrnoException) => {
      reject(e.code === "ENOENT" ? new ToolMissing(cmd) : e);
    });
    child.on("close", (code, signal) => {
      onLine(partial.stdout);
      onLine(partial.stderr);
      resolve({
        code: code ?? (signal ? 128 : 1),
        lines: [...kept, ...last],
        stdout: Buffer.concat(out).toString("utf8"),
      });
    });
  });
}
