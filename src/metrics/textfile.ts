import type { RepoClonerMetrics } from "./registry.ts";
import { writeFileAtomic } from "../fs/atomic_write.ts";

/**
 * Writes the metrics for the node_exporter textfile collector
 * (`--collector.textfile.directory`). The file is replaced atomically, so the collector never reads
 * half of it. The name should end in `.prom`.
 * @throws Error from node:fs when the directory cannot be written.
 */
export async function writeTextfile(path: string, metrics: RepoClonerMetrics): Promise<void> {
  writeFileAtomic(path, await metrics.text(), { mode: 0o644, createDir: true });
}
