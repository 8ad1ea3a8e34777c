/**
 * The run's targets, built from settings in config order: forge namespaces and plain git servers
 * (pushed to) and S3 buckets (fed archives), and their once-per-run preparation.
 */
import { type AuthError, UsageError } from "../errors.ts";
import type { Logger, ModuleLogger } from "../log/logger.ts";
import { createPlatform } from "../platforms/factory.ts";
import type { S3ArchiveTarget } from "./archive_target.ts";
import { GitUrlTarget } from "./git_target.ts";
import { withRetry } from "./retry.ts";
import type { SyncSettings } from "./settings.ts";
import { PlatformTarget, type SyncTarget } from "./target.ts";

/** Every target of a run. */
export interface RunTargets {
  /** Targets that receive pushes (github, gitlab, git), in config order. */
  push: SyncTarget[];
  /** Targets that receive archives (s3), in config order. */
  archives: S3ArchiveTarget[];
  /** All of them in config order (labels, kinds). */
  all: Array<{ label: string; kind: string }>;
}

/**
 * Builds the targets of `settings` (no network use). The archive code and the S3 SDK behind an `s3`
 * target are loaded only when the config has one: a push-only run starts without them.
 */
export async function buildTargets(
  settings: SyncSettings,
  options: { requestTimeoutMs: number; platformLog?: ModuleLogger; logger?: Logger },
): Promise<RunTargets> {
  const S3ArchiveTarget = settings.targets.some((t) => t.type === "s3")
    ? (await import("./archive_target.ts")).S3ArchiveTarget
    : undefined;
  const push: SyncTarget[] = [];
  const archives: S3ArchiveTarget[] = [];
  const all: RunTargets["all"] = [];
  for (const t of settings.targets) {
    if (t.type === "s3") {
      const target = new S3ArchiveTarget!(t, {
        env: t.env,
        workRoot: `${settings.cacheDir}/tmp`,
        logger: options.logger,
      });
      archives.push(target);
      all.push(target);
    } else if (t.type === "git") {
      const target = new GitUrlTarget(t);
      push.push(target);
      all.push(target);
    } else {
      const platform = createPlatform(t, {
        role: "target",
        requestTimeoutMs: options.requestTimeoutMs,
        logger: options.platformLog,
      });
      const target = new PlatformTarget(platform, {
        namespace: t.namespace,
        token: t.token,
        tokenOrigin: t.tokenOrigin,
        visibility: t.visibility,
        prune: t.prune,
      });
      push.push(target);
      all.push(target);
    }
  }
  const seen = new Map<string, number>();
  all.forEach((t, i) => {
    const j = seen.get(t.label);
    if (j !== undefined) {
      throw new UsageError(
        `Cannot sync: targets[${j}] and targets[${i}] are the same target (${t.label}). Remove one`,
      );
    }
    seen.set(t.label, i);
  });
  return { push, archives, all };
}

/**
 * Prepares every target once (after the tokens were checked): forge namespaces are listed, S3
 * prefixes listed. An S3 bucket that cannot be listed
 * (missing, denied, down after retries) does not stop the run: that target fails for every repository
 * with the reason, logged once here.
 */
export async function prepareTargets(
  targets: RunTargets,
  options: { retry: Parameters<typeof withRetry>[1]; log: ModuleLogger },
): Promise<void> {
  for (const t of targets.push) await withRetry(() => t.prepare(), options.retry);
  for (const t of targets.archives) {
    await withRetry(() => t.prepare(), options.retry).catch((error: Error | AuthError) => {
      t.markUnavailable(error);
      options.log.error(`Cannot use target ${t.label}: ${error.message}`, {
        target: t.label,
        target_type: "s3",
        status: "failure",
        error_type: (error as AuthError).errorType ?? error.name,
        error: error.message,
      });
    });
  }
}
