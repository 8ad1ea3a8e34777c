import type { ChildProcess } from "node:child_process";
import { killTree, spawnDetached } from "../children.ts";
import { AuthError, RepoClonerError, TransientError, VerificationError } from "../errors.ts";
import { type ModuleLogger, nullLogger } from "../log/logger.ts";
import { redactor } from "../log/redact.ts";

/**
 * Configuration forced on every git process, passed through GIT_CONFIG_COUNT/KEY/VALUE so that it
 * never appears in argv or in any `.git/config`. Hooks and fsmonitor off, objects checked on every
 * transfer, `ext::` transports refused, no credential helpers, credentials in URLs refused.
 */
export const HARDENED_CONFIG: ReadonlyArray<readonly [string, string]> = [
  ["core.hooksPath", "/dev/null"],
  ["core.fsmonitor", "false"],
  ["transfer.fsckObjects", "true"],
  ["protocol.ext.allow", "never"],
  ["protocol.file.allow", "always"],
  ["credential.helper", ""],
  ["transfer.credentialsInUrl", "die"],
  ["core.askPass", ""],
  ["advice.detachedHead", "false"],
  ["init.defaultBranch", "main"],
  ["safe.directory", "*"],
];

/**
 * Transfer tuning on every git process, beside {@link HARDENED_CONFIG}. `http.postBuffer`: a push whose
 * pack fits in 16 MiB goes in one request with a Content-Length; git's 1 MiB default sends every larger
 * pack chunked after an extra probe request (one more round trip, one more server process). git reserves
 * the buffer with one malloc (mmap), whose pages become resident only as a pack fills them: small pushes
 * use no more memory than before, a push of a pack between 1 and 16 MiB up to its size.
 */
export const TRANSFER_CONFIG: ReadonlyArray<readonly [string, string]> = [
  ["http.postBuffer", String(16 * 1024 * 1024)],
];

/** Credentials for one git call; reach git as an `http.extraHeader` in the environment only. */
export interface GitAuth {
  /** The token. Registered with the redactor. */
  token: string;
  /** User name for Basic auth. Default `x-access-token` (GitHub), `oauth2` works for GitLab. */
  username?: string;
}

/** Options of {@link git} and {@link spawnGit}. */
export interface GitOptions {
  /** Working directory. Default: the process's. */
  cwd?: string;
  /** Credentials for HTTP remotes. Default: none. */
  auth?: GitAuth;
  /** Kill the process tree after this many ms. Default: no limit. */
  timeoutMs?: number;
  /** Extra environment (merged over the hardened one). */
  env?: Record<string, string>;
  /** Extra `-c`-style config pairs, passed through the environment. */
  config?: ReadonlyArray<readonly [string, string]>;
  /** Debug logging of the (redacted) command line. Default: none. */
  logger?: ModuleLogger;
  /** Abort signal; aborting kills the process tree. */
  signal?: AbortSignal;
  /** Where stdout goes: collected (default), or a file descriptor. */
  stdoutFd?: number;
  /** Exit codes that are not errors (e.g. `[2]` for `ls-remote --exit-code`). Default `[]`. */
  okCodes?: number[];
  /** Data written to stdin. */
  input?: string;
}

/** Result of a finished git process. */
export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A failed git process: exit code and trimmed, redacted stderr. */
export class GitError extends RepoClonerError {
  readonly code: number;
  readonly stderr: string;
  readonly command: string;
  constructor(command: string, code: number, stderr: string) {
    const trimmed = redactor.redact(stderr.trim().split("\n").slice(-6).join("\n"));
    // One line for the terminal: git's last lines joined.
    const oneLine = trimmed.split("\n").map((l) => l.trim()).filter(Boolean).join(" / ");
    super(`Cannot run "${command}": git exited with ${code}${oneLine ? `: ${oneLine}` : ""}`, {
      errorType: "GitError",
    });
    this.code = code;
    this.stderr = trimmed;
    this.command = command;
  }
}

/** Builds the environment of a git child: hardened config, no prompts, credentials as a header. */
export function gitEnv(options: GitOptions = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^GIT_CONFIG_(COUNT|KEY_\d+|VALUE_\d+|PARAMETERS)$/.test(k)) continue;
    env[k] = v;
  }
  const pairs: Array<readonly [string, string]> = [
    ...HARDENED_CONFIG,
    ...TRANSFER_CONFIG,
    ...(options.config ?? []),
  ];
  if (options.auth) {
    redactor.add(options.auth.token);
    const basic = Buffer.from(`${options.auth.username ?? "x-access-token"}:${options.auth.token}`).toString(
      "base64",
    );
    redactor.add(basic);
    pairs.push(["http.extraHeader", `Authorization: Basic ${basic}`]);
  }
  env.GIT_CONFIG_COUNT = String(pairs.length);
  pairs.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  env.GIT_TERMINAL_PROMPT = "0";
  env.GIT_ASKPASS = "/bin/false";
  env.SSH_ASKPASS = "/bin/false";
  env.GCM_INTERACTIVE = "never";
  env.GIT_LFS_SKIP_SMUDGE = env.GIT_LFS_SKIP_SMUDGE ?? "0";
  env.GIT_HTTP_LOW_SPEED_LIMIT = env.GIT_HTTP_LOW_SPEED_LIMIT ?? "1000";
  env.GIT_HTTP_LOW_SPEED_TIME = env.GIT_HTTP_LOW_SPEED_TIME ?? "60";
  env.LC_ALL = "C";
  return { ...env, ...(options.env ?? {}) };
}

/**
 * Starts git with the hardened environment. Arguments are always an array; the command line is
 * logged at debug level, redacted. The process leads its own group so a timeout or `options.signal`
 * (also one aborted before the call) kills the whole tree.
 */
export function spawnGit(args: string[], options: GitOptions = {}): ChildProcess {
  (options.logger ?? nullLogger()).debug(`git ${redactor.redact(args.join(" "))}`, { cwd: options.cwd });
  const child = spawnDetached("git", args, {
    cwd: options.cwd,
    env: gitEnv(options),
    stdio: [options.input === undefined ? "ignore" : "pipe", options.stdoutFd ?? "pipe", "pipe"],
  });
  // A signal that fired before this spawn never fires again: kill at once, or on abort.
  const signal = options.signal;
  if (signal?.aborted) killTree(child);
  else if (signal) {
    const onAbort = () => killTree(child);
    signal.addEventListener("abort", onAbort, { once: true });
    child.once("close", () => signal.removeEventListener("abort", onAbort));
  }
  return child;
}

/**
 * Runs git to completion. Throws {@link AuthError} for rejected credentials, {@link TransientError}
 * for network faults and timeouts, {@link GitError} otherwise. Exit codes in `okCodes` are returned.
 */
export function git(args: string[], options: GitOptions = {}): Promise<GitResult> {
  const command = `git ${redactor.redact(args.slice(0, 3).join(" "))}`;
  return new Promise((resolve, reject) => {
    const child = spawnGit(args, options);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let aborted = options.signal?.aborted ?? false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
        timedOut = true;
        killTree(child);
      }, options.timeoutMs)
      : undefined;
    const onAbort = () => {
      aborted = true;
      killTree(child);
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout?.on("data", (d: Buffer) => out.push(d));
    child.stderr?.on("data", (d: Buffer) => {
      if (err.length < 4096) err.push(d);
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(
        new RepoClonerError(`Cannot run git: ${e.message}. Install git and make sure it is on PATH`, {
          cause: e,
        }),
      );
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      const stdout = Buffer.concat(out).toString("utf8");
      const stderr = Buffer.concat(err).toString("utf8");
      if (timedOut) {
        return reject(
          new TransientError(`Network timeout: "${command}" did not finish in ${options.timeoutMs} ms`),
        );
      }
      if (aborted) return reject(new RepoClonerError(`Cannot finish "${command}": aborted`));
      const exit = code ?? (signal ? 128 : 1);
      if (exit === 0 || options.okCodes?.includes(exit)) return resolve({ code: exit, stdout, stderr });
      reject(classifyGitFailure(command, exit, stderr));
    });
  });
}

const AUTH_PATTERNS = [
  /Authentication failed/i,
  /could not read (Username|Password)/i,
  /terminal prompts disabled/i,
  /returned error: 40[13]/i,
  /HTTP 40[13]/,
  /Invalid username or password/i,
  /permission to .* denied/i,
  /Access denied/i,
];
const TRANSIENT_PATTERNS = [
  /timed? ?out/i,
  /Operation too slow/i,
  /Connection reset/i,
  /Connection refused/i,
  /early EOF/i,
  /RPC failed/i,
  /returned error: (5\d\d|429)/i,
  /HTTP (5\d\d|429)/,
  /unexpected disconnect/i,
  /remote end hung up/i,
  /Could not resolve host/i,
  /transfer closed with/i,
  /Empty reply from server/i,
  /SSL_read/i,
  /gnutls_handshake/i,
];

/** Lines git prints when `transfer.fsckObjects` (or fsck) refuses objects: hostile or damaged content. */
const FSCK_LINE = /^(error|fatal|warning): .*(object [0-9a-f]{40,64}: [a-zA-Z]+:|fsck error)/;

const DISK_FULL = /No space left on device|Disk quota exceeded/i;

/** The first stderr line matching one of `patterns`, trimmed and redacted. */
function telling(stderr: string, patterns: RegExp[]): string | undefined {
  const line = stderr.split("\n").map((l) => l.trim()).find((l) => patterns.some((p) => p.test(l)));
  return line === undefined ? undefined : redactor.redact(line);
}

/** Maps a failed git's stderr to the error class callers act on. */
export function classifyGitFailure(command: string, code: number, stderr: string): RepoClonerError {
  const base = new GitError(command, code, stderr);
  const fsck = stderr.split("\n").find((l) => FSCK_LINE.test(l) && /object [0-9a-f]{40,64}: /.test(l)) ??
    stderr.split("\n").find((l) => FSCK_LINE.test(l));
  if (fsck) {
    return new VerificationError(
      `Cannot run "${command}": git's object check refused the repository (${
        redactor.redact(fsck.replace(/^(error|fatal|warning): /, "").trim())
      }). It is damaged or hostile`,
      { cause: base },
    );
  }
  if (/Repository lacks these prerequisite commits/i.test(stderr)) {
    const oid = /^error: ([0-9a-f]{40,64})\b/m.exec(stderr)?.[1];
    return new VerificationError(
      `Cannot run "${command}": the bundle needs commits the repository does not have` +
        `${oid ? ` (prerequisite ${oid})` : ""}. Restore the archives it builds on first`,
      { cause: base, entry: "repo.bundle" },
    );
  }
  const disk = telling(stderr, [DISK_FULL]);
  if (disk) {
    return new RepoClonerError(
      `Cannot run "${command}": no space left on the device (${disk}). Free some space or choose another directory`,
      { cause: base, errorType: "DiskFull" },
    );
  }
  if (AUTH_PATTERNS.some((p) => p.test(stderr))) {
    return new AuthError(
      `Cannot authenticate: the server rejected the token for "${command}" (${
        base.stderr.split("\n").pop()
      }). ` +
        "Check that the token is valid and has repository read/write scope",
      { cause: base },
    );
  }
  if (TRANSIENT_PATTERNS.some((p) => p.test(stderr))) {
    // Name the line that says what happened (curl's "Operation too slow"), not git's last words.
    const line = telling(stderr, TRANSIENT_PATTERNS) ?? base.stderr.split("\n").pop();
    return new TransientError(`Transient network error: ${line}`, { cause: base });
  }
  return base;
}
