/**
 * A counting gate: at most `limit` holders at once, the rest wait in arrival order. The sync engine
 * checks many repositories at once (read-only `ls-refs` requests, no process) but lets only
 * `max_parallel` of them run git (clone, fetch, push) through this gate.
 */
export class Gate {
  #free: number;
  #waiting: Array<{ wake: () => void; refuse: (e: GateClosed) => void }> = [];
  #closed?: GateClosed;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`gate limit must be ≥ 1, got ${limit}`);
    this.#free = limit;
  }

  /** Holders right now. */
  get held(): number {
    return this.limit - this.#free;
  }

  /**
   * Lets nobody else in: every waiter, and every later {@link run}, rejects with {@link GateClosed}
   * carrying `reason`; holders finish. The sync engine closes it when a token is rejected, before the
   * holder that saw it gives its place back, so no repository waiting for git starts after that.
   */
  close(reason: unknown): void {
    if (this.#closed) return;
    this.#closed = new GateClosed(reason);
    for (const w of this.#waiting.splice(0)) w.refuse(this.#closed);
  }

  /**
   * Runs `fn` holding one place; waits for one first when all are taken. An abort while waiting
   * rejects with the signal's reason without taking a place; the place is given back however `fn` ends.
   * `closeWhen`, asked as `fn` ends (with its value or its error), returns a reason to {@link close}
   * the gate — before the place is given back, so no waiter gets in — or `undefined`.
   * @throws GateClosed once {@link close} was called.
   */
  async run<T>(
    fn: () => Promise<T>,
    signal?: AbortSignal,
    closeWhen?: (end: { value?: T; error?: unknown }) => unknown,
  ): Promise<T> {
    await this.#acquire(signal);
    const end: { value?: T; error?: unknown } = {};
    try {
      return end.value = await fn();
    } catch (error) {
      end.error = error;
      throw error;
    } finally {
      const reason = closeWhen?.(end);
      if (reason !== undefined) this.close(reason);
      this.#release();
    }
  }

  #acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#closed) return Promise.reject(this.#closed);
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        wake: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve(); // the releasing holder passed its place on: #free stays as it is
        },
        refuse: (e: GateClosed) => {
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
      const onAbort = () => {
        const i = this.#waiting.indexOf(waiter);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next.wake();
    else this.#free++;
  }
}

/** Thrown to whoever waits at, or comes to, a closed {@link Gate}: the work was not started. */
export class GateClosed extends Error {
  constructor(readonly reason: unknown) {
    super(`not started: ${reason instanceof Error ? reason.message : String(reason)}`);
    this.name = "GateClosed";
  }
}

/**
 * How many repositories are checked at once when `maxParallel` of them may run git: four times as
 * many, at most 64 (never fewer than `maxParallel`). A check is two small requests and no process.
 */
export function checkWidth(maxParallel: number): number {
  return Math.max(maxParallel, Math.min(64, maxParallel * 4));
}
