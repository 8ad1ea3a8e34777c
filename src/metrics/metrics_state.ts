import { readFileSync } from "node:fs";
import type { MetricsSnapshot } from "./registry.ts";
import { writeFileAtomic } from "../fs/atomic_write.ts";

/**
 * Reads a snapshot saved by {@link saveMetricsState}. A missing file is a first run (undefined); an
 * unreadable or malformed one is reported through `onProblem` and treated as a first run too, since
 * metrics must never stop a sync.
 */
export function loadMetricsState(
  path: string,
  options: { onProblem?: (message: string) => void } = {},
): MetricsSnapshot | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      options.onProblem?.(
        `Cannot read metrics state "${path}": ${(e as Error).message}. Counters restart at 0`,
      );
    }
    return undefined;
  }
  try {
    const data = JSON.parse(text);
    if (data?.version !== 1 || typeof data.metrics !== "object" || data.metrics === null) {
      throw new SyntaxError("not a repo-cloner metrics state (version 1)");
    }
    return data as MetricsSnapshot;
  } catch (e) {
    options.onProblem?.(
      `Cannot use metrics state "${path}": ${
        (e as Error).message
      }. Counters restart at 0; the file is rewritten`,
    );
    return undefined;
  }
}

/** Saves a snapshot atomically (temporary file, fsync, rename). @throws Error from node:fs. */
export function saveMetricsState(path: string, snapshot: MetricsSnapshot): void {
  writeFileAtomic(path, JSON.stringify(snapshot) + "\n", { mode: 0o600, createDir: true });
}
