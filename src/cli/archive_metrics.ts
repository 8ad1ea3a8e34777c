import { MetricsPublisher } from "../metrics/publisher.ts";
import type { ArchiveObservation } from "../metrics/registry.ts";
import { opsStatePaths } from "../metrics/state_paths.ts";
import type { CommandContext } from "./context.ts";

/**
 * Records one archive creation (`repo_cloner_archive_size_bytes{type}`,
 * `repo_cloner_archive_creation_duration_seconds`, `repo_cloner_archives_created_total{type}`) into the
 * shared metrics state and publishes it (textfile, Pushgateway) when `metrics` is configured. Never
 * throws: problems are WARNINGs in the log.
 */
export async function publishArchiveMetrics(
  ctx: CommandContext,
  observation: ArchiveObservation,
): Promise<void> {
  if (!ctx.config.metrics || ctx.config.metrics.enabled === false) return;
  const publisher = MetricsPublisher.open(ctx.config.metrics, {
    stateFile: opsStatePaths(ctx.config, ctx.env).metricsState,
    logger: ctx.logger.child("metrics"),
  });
  publisher.metrics.recordArchive(observation);
  await publisher.publish();
}
