import type { ConfigFile } from "../config/schema.ts";
import { stateDirOf } from "../config/state_dir.ts";
import { UsageError } from "../errors.ts";
import type { ConflictStrategy } from "./bidi_resolve.ts";

/** Settings of `sync.mode: bidirectional`. */
export interface BidiSettings {
  /** `conflict_resolution`, with `fail_fast` read as `fail`. Default "fail". */
  strategy: ConflictStrategy;
  /** `propagate_deletes`. Default false. */
  propagateDeletes: boolean;
  /** Where the per-pair state files live: `sync.state_dir`, else `$XDG_STATE_HOME/repo-cloner`. */
  stateDir: string;
}

/**
 * Resolves the bidirectional settings, or undefined when `sync.mode` is not `bidirectional`. A
 * bidirectional sync keeps exactly one pair of platforms in step: one source entry, one target
 * entry, and no `prune` (deletions follow `propagate_deletes` instead).
 * @throws UsageError naming the key at fault.
 */
export function resolveBidiSettings(
  config: ConfigFile,
  options: {
    env: Record<string, string | undefined>;
    sources: number;
    targets: Array<{ type: string; prune?: boolean }>;
  },
): BidiSettings | undefined {
  const sync = config.sync;
  if (sync?.mode !== "bidirectional") return undefined;
  if (options.sources !== 1 || options.targets.length !== 1) {
    throw new UsageError(
      `Cannot sync bidirectionally with ${options.sources} source(s) and ${options.targets.length} target(s): ` +
        "sync.mode bidirectional keeps exactly one pair in step. Configure one source and one target, " +
        "or use mode one-way",
    );
  }
  const type = options.targets[0].type;
  if (type !== "github" && type !== "gitlab") {
    throw new UsageError(
      `Cannot sync bidirectionally with a "${type}" target: both sides must be GitHub or GitLab. ` +
        "Use mode one-way for this target",
    );
  }
  if (options.targets[0].prune) {
    throw new UsageError(
      "Cannot use prune with sync.mode bidirectional: deletions follow sync.propagate_deletes instead. " +
        "Remove prune",
    );
  }
  const strategy = sync.conflict_resolution ?? "fail";
  return {
    strategy: strategy === "fail_fast" ? "fail" : strategy,
    propagateDeletes: sync.propagate_deletes ?? false,
    stateDir: stateDirOf(config, options.env),
  };
}
