import { TransientError } from "../errors.ts";

/** Options of {@link withRetry}. */
export interface RetryOptions {
  /** Retries after the first attempt. Default 3. */
  maxRetries?: number;
  /** Base delay; attempt n waits about `baseMs * 2^(n-1)`. Default 1000. */
  baseMs?: number;
  /** Cap on one delay, server hints included. Default 300 000 (5 min). */
  maxMs?: number;
  /** Called before each wait with the 1-based retry number, the error and the delay. */
  onRetry?: (info: { attempt: number; maxRetries: number; error: TransientError; delayMs: number }) => void;
  /** Random source in [0, 1), for tests. Default Math.random. */
  random?: () => number;
  /** Sleep, for tests. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Stops retrying (the last error is thrown) once aborted. */
  signal?: AbortSignal;
}

/**
 * Delay before retry `attempt` (1-based): exponential backoff with full ±50 % jitter, never less
 * than the server's `retryAfterMs` hint, capped at `maxMs`.
 */
export function backoffDelay(
  attempt: number,
  options: { baseMs?: number; maxMs?: number; retryAfterMs?: number; random?: () => number } = {},
): number {
  const base = options.baseMs ?? 1000;
  const max = options.maxMs ?? 300_000;
  const exp = base * 2 ** (attempt - 1);
  const jittered = exp * (0.5 + (options.random ?? Math.random)());
  return Math.round(Math.min(max, Math.max(jittered, options.retryAfterMs ?? 0)));
}

/**
 * Runs `fn`, retrying it when it throws a {@link TransientError} (timeouts, resets, 5xx, 429, rate
 * limits). Any other error — {@link AuthError} above all — is thrown at once, never retried.
 * `fn` gets the 0-based attempt number.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const maxRetries = options.maxRetries ?? 3;
  const sleep = options.sleep ?? ((ms: number) => abortableSleep(ms, options.signal));
  for (let attempt = 0;; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!(error instanceof TransientError) || attempt >= maxRetries || options.signal?.aborted) throw error;
      const delayMs = backoffDelay(attempt + 1, { ...options, retryAfterMs: error.retryAfterMs });
      options.onRetry?.({ attempt: attempt + 1, maxRetries, error, delayMs });
      await sleep(delayMs);
      if (options.signal?.aborted) throw error;
    }
  }
}

/** Waits `ms`, or less when `signal` fires. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
