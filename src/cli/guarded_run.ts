/**
 * How long commands run: under the locks of the directories they write (a second run on the same
 * directory is refused, see src/fs/lock.ts) and inside an interrupt scope (SIGINT/SIGTERM abort the
 * work, which cleans up its staging, and the command ends with exit 130/143).
 */
import { acquireLock, type DirLock } from "../fs/lock.ts";
import { interruptScope } from "./interrupt.ts";

/** One directory to lock for the run. */
export interface LockedDir {
  dir: string;
  /** For messages: "output directory", "mirror cache"... */
  role: string;
}

/** Locks held and signal handlers installed for one command run. */
export interface Guard {
  /** Pass to every operation; aborted by SIGINT/SIGTERM. */
  signal: AbortSignal;
  /**
   * Runs `fn`, then releases the locks and handlers (also on failure). After a signal, the failure
   * becomes InterruptedError (exit 130/143).
   */
  run<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * Takes the locks of `dirs` in order and installs the interrupt handlers.
 * @throws LockedError when a directory is held by another run (locks taken so far are released).
 */
export async function openGuard(command: string, dirs: LockedDir[]): Promise<Guard> {
  const held: DirLock[] = [];
  const release = () => {
    for (const lock of held.reverse()) lock.release();
  };
  try {
    for (const d of dirs) {
      held.push(await acquireLock(d.dir, { role: d.role, command: `repo-cloner ${command}` }));
    }
  } catch (error) {
    release();
    throw error;
  }
  const scope = interruptScope();
  return {
    signal: scope.signal,
    async run<T>(fn: () => Promise<T>): Promise<T> {
      try {
        return await scope.run(fn);
      } finally {
        release();
      }
    },
  };
}
