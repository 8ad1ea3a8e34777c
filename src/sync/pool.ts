/**
 * Runs `worker` over `items` with at most `limit` in flight, in input order of start. Resolves when
 * all have settled; a worker that throws does not stop the others (collect errors in the worker).
 * `shouldStart` is asked before each start: returning false skips the rest (fail-fast).
 */
export async function runPool<T>(
  items: readonly T[],
  limit: number,
  worker: (item: T, index: number) => Promise<void>,
  options: { shouldStart?: () => boolean } = {},
): Promise<void> {
  let next = 0;
  const lanes = Math.max(1, Math.min(limit, items.length));
  const lane = async () => {
    while (next < items.length) {
      if (options.shouldStart && !options.shouldStart()) return;
      const i = next++;
      await worker(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}

/**
 * Awaits every promise (none is left running), then throws the first rejection in argument order —
 * not in time order, so which error a run reports does not depend on timing — or returns the values.
 */
export async function settleInOrder<T extends readonly unknown[]>(
  promises: readonly [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const settled = await Promise.allSettled(promises);
  for (const s of settled) if (s.status === "rejected") throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
