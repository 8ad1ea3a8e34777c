import { clearInterval, setInterval } from "node:timers";

/** Options of {@link Batcher}. */
export interface BatcherOptions<T> {
  /** Sends one batch; throws on failure. */
  send: (batch: T[]) => Promise<void>;
  /** Items per batch. */
  maxBatchCount: number;
  /** Bytes per batch, as measured by `sizeOf`. */
  maxBatchBytes: number;
  /** Size of one item in bytes. */
  sizeOf: (item: T) => number;
  /** Flush on a timer this often (the timer never keeps the process alive). Default 5 000 ms. */
  flushIntervalMs?: number;
  /** Items kept while the endpoint is slow or down; the oldest are dropped beyond it. Default 100 000. */
  maxQueued?: number;
  /** Bytes kept likewise. Default 32 MiB. */
  maxQueuedBytes?: number;
  /** Flush rounds a batch may fail before it is dropped. Default 3. */
  maxTries?: number;
  /** How long {@link Batcher.close} waits for the last flush. Default 15 000 ms. */
  closeTimeoutMs?: number;
  /** Told about failures and drops (asynchronously, never from inside {@link Batcher.push}). */
  onWarning?: (message: string) => void;
}

/** Delivery counters. */
export interface BatcherStats {
  sent: number;
  dropped: number;
  failedBatches: number;
}

interface Entry<T> {
  item: T;
  size: number;
  tries: number;
}

/**
 * Buffers items and sends them in batches within count and byte limits: when a batch is full, on a
 * timer, and on {@link flush}/{@link close}. One batch is in flight at a time. A failed batch stays
 * queued for the next round and is dropped after `maxTries` rounds; the queue is bounded. Nothing here
 * throws into the caller: failures are counted and reported through `onWarning`.
 */
export class Batcher<T> {
  readonly stats: BatcherStats = { sent: 0, dropped: 0, failedBatches: 0 };
  #queue: Entry<T>[] = [];
  #bytes = 0;
  #chain: Promise<void> = Promise.resolve();
  #timer?: ReturnType<typeof setInterval>;
  #closed = false;
  #failing = false;
  #reportedDrops = 0;
  readonly #o: Required<Omit<BatcherOptions<T>, "onWarning">> & Pick<BatcherOptions<T>, "onWarning">;

  constructor(options: BatcherOptions<T>) {
    this.#o = {
      ...options,
      flushIntervalMs: options.flushIntervalMs ?? 5_000,
      maxQueued: options.maxQueued ?? 100_000,
      maxQueuedBytes: options.maxQueuedBytes ?? 32 * 1024 * 1024,
      maxTries: options.maxTries ?? 3,
      closeTimeoutMs: options.closeTimeoutMs ?? 15_000,
    };
    this.#timer = setInterval(() => {
      if (this.#queue.length > 0) void this.flush();
    }, this.#o.flushIntervalMs);
    this.#timer.unref();
  }

  /** Queues one item; starts a flush when a batch is full. Never throws. */
  push(item: T): void {
    if (this.#closed) {
      this.stats.dropped++;
      return;
    }
    const size = this.#o.sizeOf(item);
    this.#queue.push({ item, size, tries: 0 });
    this.#bytes += size;
    while (this.#queue.length > this.#o.maxQueued || this.#bytes > this.#o.maxQueuedBytes) {
      this.#bytes -= this.#queue.shift()!.size;
      this.stats.dropped++;
    }
    if (this.#queue.length >= this.#o.maxBatchCount || this.#bytes >= this.#o.maxBatchBytes) {
      void this.flush();
    }
  }

  /** Sends everything queued so far. Resolves when done (or when the endpoint failed). Never rejects. */
  flush(): Promise<void> {
    this.#chain = this.#chain.then(() => this.#drain());
    return this.#chain;
  }

  /** Stops the timer, flushes what is left (bounded by `closeTimeoutMs`) and reports what was lost. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    let deadline: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((r) =>
      deadline = setTimeout(() => r("timeout"), this.#o.closeTimeoutMs)
    );
    // Last round: every queued batch gets one more try.
    const last = this.#chain.then(() => this.#drain(true));
    const outcome = await Promise.race([last, timedOut]);
    clearTimeout(deadline);
    if (outcome === "timeout") this.#warn(`gave up waiting after ${this.#o.closeTimeoutMs} ms`);
    this.stats.dropped += this.#queue.length;
    this.#queue = [];
    this.#bytes = 0;
    this.#reportDrops();
  }

  async #drain(final = false): Promise<void> {
    // Bounded: each round removes at least one entry or stops.
    let rounds = this.#queue.length;
    while (this.#queue.length > 0 && rounds-- > 0) {
      const batch = this.#take();
      try {
        await this.#o.send(batch.map((e) => e.item));
        this.stats.sent += batch.length;
        if (this.#failing) this.#warn("delivering again");
        this.#failing = false;
      } catch (e) {
        this.stats.failedBatches++;
        if (!this.#failing) this.#warn(`cannot deliver ${batch.length} event(s): ${(e as Error).message}`);
        this.#failing = true;
        const keep = batch.filter((en) => ++en.tries < this.#o.maxTries && !final);
        this.stats.dropped += batch.length - keep.length;
        this.#queue.unshift(...keep);
        this.#bytes += keep.reduce((n, en) => n + en.size, 0);
        if (!final) break;
      }
    }
    this.#reportDrops();
  }

  #take(): Entry<T>[] {
    const batch: Entry<T>[] = [];
    let bytes = 0;
    while (this.#queue.length > 0 && batch.length < this.#o.maxBatchCount) {
      const next = this.#queue[0];
      if (batch.length > 0 && bytes + next.size > this.#o.maxBatchBytes) break;
      batch.push(this.#queue.shift()!);
      bytes += next.size;
    }
    this.#bytes -= bytes;
    return batch;
  }

  #reportDrops(): void {
    if (this.stats.dropped > this.#reportedDrops) {
      this.#warn(`dropped ${this.stats.dropped - this.#reportedDrops} event(s)`);
      this.#reportedDrops = this.stats.dropped;
    }
  }

  #warn(message: string): void {
    try {
      this.#o.onWarning?.(message);
    } catch {
      // A broken warning path must not break shipping.
    }
  }
}
