/**
 * Runs `tasks` concurrently, each given one shared abort signal, and resolves with their results in
 * order. The first task to fail aborts the signal (so the others stop their processes), every task is
 * awaited to its end, and that first failure is thrown, not the aborts it caused. `signal` (the
 * caller's) aborts them all too.
 * @throws the first task's error.
 */
export async function allOrAbort<T extends readonly unknown[]>(
  tasks: { [K in keyof T]: (signal: AbortSignal) => Promise<T[K]> },
  signal?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  const forward = () => controller.abort(signal?.reason);
  if (signal?.aborted) forward();
  else signal?.addEventListener("abort", forward, { once: true });
  let failure: { error: unknown } | undefined;
  try {
    const settled = await Promise.allSettled(
      (tasks as readonly ((s: AbortSignal) => Promise<unknown>)[]).map((task) =>
        Promise.resolve().then(() => task(controller.signal)).catch((error) => {
          failure ??= { error };
          controller.abort(error);
          throw error;
        })
      ),
    );
    if (failure) throw failure.error;
    return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
  } finally {
    signal?.removeEventListener("abort", forward);
  }
}
