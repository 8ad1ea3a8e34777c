/**
 * SIGINT/SIGTERM handling for long commands. The first signal aborts an AbortController whose signal the
 * command passes down (every child from `spawnDetached` — git, pip, npm — is killed with its process
 * group, writers stop, staging is removed by the operations' own cleanup); the command then ends with
 * {@link InterruptedError} (exit 130 or 143).
 * A second signal restores the default disposition and re-raises it, so an operation that does not
 * watch the signal can still be stopped.
 */
import { InterruptedError } from "../errors.ts";
import { killAllChildren } from "../children.ts";

/** A scope for one command run. */
export interface InterruptScope {
  /** Pass this to every operation. */
  signal: AbortSignal;
  /** The interruption, once a signal arrived. */
  readonly interrupted: InterruptedError | undefined;
  /**
   * Runs `fn`; when a signal arrived meanwhile, whatever `fn` threw becomes the InterruptedError
   * (work that completed anyway is returned). Removes the handlers afterwards.
   */
  run<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** Removes the handlers (idempotent). */
  dispose(): void;
}

type Sig = "SIGINT" | "SIGTERM";

/**
 * Installs SIGINT and SIGTERM handlers for one command. Call {@link InterruptScope.dispose} (or use
 * {@link InterruptScope.run}) when the command ends.
 */
export function interruptScope(): InterruptScope {
  const controller = new AbortController();
  let interrupted: InterruptedError | undefined;
  const handlers = new Map<Sig, () => void>();
  const dispose = () => {
    for (const [sig, h] of handlers) process.removeListener(sig, h);
    handlers.clear();
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    const handler = () => {
      if (interrupted) {
        // Second signal: give up on a clean stop.
        dispose();
        process.kill(process.pid, sig);
        return;
      }
      interrupted = new InterruptedError(sig);
      controller.abort(interrupted);
      killAllChildren(); // git, pip, npm: also the ones started without the signal
    };
    handlers.set(sig, handler);
    process.on(sig, handler);
  }
  return {
    signal: controller.signal,
    get interrupted() {
      return interrupted;
    },
    async run<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
      try {
        // Work that completed despite a late signal is whole: report it as done.
        return await fn(controller.signal);
      } catch (error) {
        throw interrupted ?? error;
      } finally {
        dispose();
      }
    },
    dispose,
  };
}
