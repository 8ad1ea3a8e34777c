/**
 * Directory locks: `<dir>/.repo-cloner.lock`, created with O_EXCL and holding the owner's pid, host name,
 * start time and command. A second run on the same cache, state or output directory is refused with
 * {@link LockedError} (exit 1) naming the owner. A lock whose owner was on this host and is no longer
 * alive (SIGKILL, power loss) is stale and taken over. Locks held by another host are never broken:
 * the user is told which file to remove once that host's run is known to be gone.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { ExitCode, RepoClonerError } from "../errors.ts";
import { fsyncDir } from "./atomic_write.ts";

/** File name of a directory lock. */
export const LOCK_FILE = ".repo-cloner.lock";

/** What a lock file holds (one JSON object). */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  started_at: string;
  /** What holds it, e.g. "archive restore". */
  command: string;
}

/** Another run holds the lock. Exit 1 (operation failed), error type `Locked`. */
export class LockedError extends RepoClonerError {
  readonly lockPath: string;
  readonly owner?: LockOwner;
  constructor(message: string, options: { lockPath: string; owner?: LockOwner }) {
    super(message, { exitCode: ExitCode.failed, errorType: "Locked" });
    this.lockPath = options.lockPath;
    this.owner = options.owner;
  }
}

/** A held lock. `release` is idempotent and removes the file only while it is still ours. */
export interface DirLock {
  path: string;
  release(): void;
}

/** Options of {@link acquireLock}. */
export interface AcquireLockOptions {
  /** What the directory is, for messages: "output directory", "mirror cache", "state directory". */
  role: string;
  /** Recorded as the owner's command. Default "repo-cloner". */
  command?: string;
  /**
   * Keep trying this long while a live owner holds it (for short critical sections). Default 0: fail at
   * once. Polls every 100 ms.
   */
  waitMs?: number;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
}

const held = new Set<string>();
let exitHookInstalled = false;

/** True when `pid` is a live process on this host. EPERM means it exists but belongs to someone else. */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOwner(path: string): { text: string; owner?: LockOwner; ageMs: number } | undefined {
  let text: string;
  let ageMs = 0;
  try {
    text = readFileSync(path, "utf8");
    ageMs = Date.now() - statSync(path).mtimeMs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    const o = JSON.parse(text) as LockOwner;
    if (Number.isSafeInteger(o.pid) && typeof o.hostname === "string") return { text, owner: o, ageMs };
  } catch {
    // half-written or foreign: judged by age below
  }
  return { text, ageMs };
}

/** Stale: our host and a dead pid, or an unreadable file older than 10 s (crash between create and write). */
function isStale(found: { owner?: LockOwner; ageMs: number }): boolean {
  if (!found.owner) return found.ageMs > 10_000;
  return found.owner.hostname === hostname() && found.owner.pid !== process.pid &&
    !processAlive(found.owner.pid);
}

/** Moves a stale lock away, and puts it back when it turned out to be someone else's fresh lock. */
function breakStale(path: string, staleText: string): void {
  const aside = `${path}.${randomBytes(4).toString("hex")}.stale`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  let moved = "";
  try {
    moved = readFileSync(aside, "utf8");
  } catch {
    // vanished
  }
  if (moved !== staleText) {
    try {
      linkSync(aside, path);
    } catch {
      // the slot was taken again meanwhile; that owner wins
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // already gone
  }
}

function describe(owner: LockOwner | undefined): string {
  if (!owner) return "an unknown process (the lock file is unreadable)";
  return `"${owner.command}" (pid ${owner.pid} on ${owner.hostname}, since ${owner.started_at})`;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort for paths that end the process without unwinding (process.exit elsewhere).
  process.on("exit", () => {
    for (const p of held) {
      try {
        const o = JSON.parse(readFileSync(p, "utf8")) as LockOwner;
        if (o.pid === process.pid) unlinkSync(p);
      } catch {
        // not ours or gone
      }
    }
  });
}

/**
 * Takes the lock of `dir` (created when missing). Stale locks (owner dead on this host) are taken over.
 * @throws {LockedError} when a live process (or another host) holds it after `waitMs`.
 */
export async function acquireLock(dir: string, options: AcquireLockOptions): Promise<DirLock> {
  mkdirSync(dir, { recursive: true });
  const path = join(realpathSync(dir), LOCK_FILE);
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    started_at: (options.now ?? (() => new Date()))().toISOString(),
    command: options.command ?? "repo-cloner",
  };
  const text = JSON.stringify(owner) + "\n";
  const polls = Math.max(0, Math.ceil((options.waitMs ?? 0) / 100));
  let last: { owner?: LockOwner } | undefined;
  for (let attempt = 0; attempt <= polls + 3; attempt++) {
    let fd: number | undefined;
    try {
      fd = openSync(path, "wx", 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    if (fd !== undefined) {
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      fsyncDir(resolve(path, ".."));
      held.add(path);
      installExitHook();
      return { path, release: () => releaseLock(path) };
    }
    const found = readOwner(path);
    if (!found) continue; // released meanwhile: try again
    last = found;
    if (found.owner?.pid === process.pid && found.owner.hostname === hostname() && held.has(path)) {
      // The same directory in two roles of this run (e.g. --output equals the state dir): already ours.
      return { path, release: () => {} };
    }
    if (isStale(found)) {
      breakStale(path, found.text);
      continue;
    }
    if (attempt >= polls) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new LockedError(
    `Cannot use ${options.role} "${dir}": another run holds it: ${describe(last?.owner)}. ` +
      `Wait for it to finish; if it is gone for good, remove "${path}"`,
    { lockPath: path, owner: last?.owner },
  );
}

function releaseLock(path: string): void {
  if (!held.delete(path)) return;
  try {
    const o = JSON.parse(readFileSync(path, "utf8")) as LockOwner;
    if (o.pid === process.pid && o.hostname === hostname()) unlinkSync(path);
  } catch {
    // gone or replaced: nothing of ours to remove
  }
}

/**
 * Runs `fn` while holding the lock of `dir`, waiting up to `waitMs` (default 5 s) for a short critical
 * section of another run to end. The lock is released afterwards, also on failure.
 */
export async function withDirLock<T>(
  dir: string,
  options: AcquireLockOptions,
  fn: () => T | Promise<T>,
): Promise<T> {
  const lock = await acquireLock(dir, { waitMs: 5_000, ...options });
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
