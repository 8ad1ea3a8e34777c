/** Streaming helpers over `spawnGit` for the review collector: outputs can be as long as the history. */
import type { ChildProcess } from "node:child_process";
import { killTree } from "../children.ts";
import { GitError, spawnGit } from "../git/git.ts";
import type { ModuleLogger } from "../log/logger.ts";

/** Options of {@link gitRecords}. */
export interface GitStreamOptions {
  /** Repository (bare) the command runs in. */
  cwd: string;
  /** Lines written to stdin (then closed). Default: stdin closed at once. */
  input?: string[];
  /** Record separator in stdout. Default "\n". */
  separator?: string;
  /** Terminator written after each `input` line. Default "\n" (use "\0" with `-z --stdin`). */
  inputSeparator?: string;
  /**
   * How stdin and stdout bytes map to strings. Default "utf8"; "latin1" maps each byte to one
   * character and back, so paths that are not UTF-8 survive a round trip through git unchanged.
   */
  encoding?: "utf8" | "latin1";
  /** Exit codes that are not errors. Default []. */
  okCodes?: number[];
  logger?: ModuleLogger;
  signal?: AbortSignal;
}

/**
 * Runs git and calls `onRecord` for every `separator`-terminated record of its stdout as it arrives
 * (the last unterminated piece too), so a million-commit `git log` is never held in memory. Resolves
 * with the exit code.
 * @throws GitError when git exits with a code outside `okCodes` (stderr trimmed and redacted).
 */
export function gitRecords(
  args: string[],
  onRecord: (record: string) => void,
  options: GitStreamOptions,
): Promise<number> {
  const child = spawnGit(args, {
    cwd: options.cwd,
    logger: options.logger,
    input: options.input === undefined ? undefined : "",
  });
  return finish(child, args, onRecord, options);
}

/**
 * `git <producer> | git <consumer>` without a shell: the producer's stdout feeds the consumer's stdin
 * (e.g. `rev-list --objects | cat-file --batch-check`); `onRecord` gets the consumer's output lines.
 * @throws GitError when either exits with an error.
 */
export async function gitPipe(
  producer: string[],
  consumer: string[],
  onRecord: (record: string) => void,
  options: GitStreamOptions,
): Promise<void> {
  const first = spawnGit(producer, { cwd: options.cwd, logger: options.logger, input: "" });
  const second = spawnGit(consumer, { cwd: options.cwd, logger: options.logger, input: "" });
  first.stdout!.pipe(second.stdin!);
  second.stdin!.on("error", () => {}); // EPIPE when the consumer dies first: its exit code tells.
  first.stdin!.on("error", () => {});
  first.stdin!.end((options.input ?? []).map((l) => l + "\n").join(""));
  const errors: string[] = [];
  first.stderr!.on("data", (d: Buffer) => {
    if (errors.join("").length < 4096) errors.push(d.toString("utf8"));
  });
  const firstDone = new Promise<number>((resolve) => first.on("close", (code) => resolve(code ?? 1)));
  try {
    await finish(second, consumer, onRecord, { ...options, input: undefined });
  } finally {
    killTree(first);
  }
  const code = await firstDone;
  if (code !== 0 && !(options.okCodes ?? []).includes(code)) {
    throw new GitError(`git ${producer.slice(0, 2).join(" ")}`, code, errors.join(""));
  }
}

function finish(
  child: ChildProcess,
  args: string[],
  onRecord: (record: string) => void,
  options: GitStreamOptions,
): Promise<number> {
  const sep = options.separator ?? "\n";
  return new Promise((resolve, reject) => {
    const latin1 = options.encoding === "latin1";
    const decoder = new TextDecoder("utf-8");
    const decode = (d?: Buffer) =>
      latin1 ? (d ? d.toString("latin1") : "") : d ? decoder.decode(d, { stream: true }) : decoder.decode();
    let pending = "";
    let failed: unknown;
    const err: string[] = [];
    const onAbort = () => killTree(child);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.input !== undefined) {
      child.stdin!.on("error", () => {});
      const text = options.input.map((l) => l + (options.inputSeparator ?? "\n")).join("");
      child.stdin!.end(Buffer.from(text, latin1 ? "latin1" : "utf8"));
    }
    child.stdout!.on("data", (d: Buffer) => {
      if (failed) return;
      pending += decode(d);
      let start = 0;
      let at: number;
      try {
        while ((at = pending.indexOf(sep, start)) >= 0) {
          onRecord(pending.slice(start, at));
          start = at + sep.length;
        }
        pending = pending.slice(start);
      } catch (e) {
        failed = e;
        killTree(child);
      }
    });
    child.stderr!.on("data", (d: Buffer) => {
      if (err.join("").length < 4096) err.push(d.toString("utf8"));
    });
    child.on("error", (e) => reject(e));
    child.on("close", (code) => {
      options.signal?.removeEventListener("abort", onAbort);
      if (failed) return reject(failed);
      pending += decode();
      if (pending) {
        try {
          onRecord(pending);
        } catch (e) {
          return reject(e);
        }
      }
      const exit = code ?? 1;
      if (options.signal?.aborted) return reject(options.signal.reason ?? new Error("aborted"));
      if (exit !== 0 && !(options.okCodes ?? []).includes(exit)) {
        return reject(new GitError(`git ${args.slice(0, 2).join(" ")}`, exit, err.join("")));
      }
      resolve(exit);
    });
  });
}
