/**
 * A restored repository remembers which archive it came from (`.git/repo-cloner-restore.json`), so a
 * restore that was killed after the repository was in place (during dependencies or the push) can be
 * rerun: the same archive finds its own repository, unchanged, and carries on instead of refusing the
 * taken destination. Any other content at the destination is still never touched.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../fs/atomic_write.ts";
import { diffRefs, listRefs } from "../git/refs.ts";
import type { ModuleLogger } from "../log/logger.ts";
import type { Manifest } from "./manifest.ts";

/** File name of the marker inside the restored repository's `.git`. */
export const RESTORE_MARKER = "repo-cloner-restore.json";

/** Writes the marker into the repository at `repoDir` (working tree with `.git`). */
export function writeRestoreMarker(
  repoDir: string,
  manifest: Manifest,
  now: () => Date = () => new Date(),
): void {
  const text = JSON.stringify(
    {
      archive_id: manifest.archive_id,
      repository: manifest.repository.name,
      refs: Object.keys(manifest.refs).length,
      restored_at: now().toISOString(),
    },
    null,
    2,
  ) + "\n";
  writeFileAtomic(join(repoDir, ".git", RESTORE_MARKER), text);
}

/**
 * True when an earlier run restored exactly this archive at `dest` and its branches and tags are still
 * the manifest's (the caller otherwise requires a free destination).
 */
export async function restoredEarlier(
  dest: string,
  manifest: Manifest,
  options: { logger?: ModuleLogger } = {},
): Promise<boolean> {
  const marker = join(dest, ".git", RESTORE_MARKER);
  if (!existsSync(marker)) return false;
  let recorded: { archive_id?: unknown };
  try {
    recorded = JSON.parse(readFileSync(marker, "utf8"));
  } catch {
    return false;
  }
  if (recorded.archive_id !== manifest.archive_id) return false;
  const refs = await listRefs(dest, { logger: options.logger });
  const diff = diffRefs(manifest.refs, refs);
  return diff.onlyA.length + diff.onlyB.length + diff.changed.length === 0;
}
