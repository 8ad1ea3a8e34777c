/**
 * Per-repository archive housekeeping on any {@link Storage}: the newest archive of a repository (the
 * base for the next incremental) and "keep the newest N" retention.
 */
import { type ArchiveName, parseArchiveName, sidecarOf } from "./archive_name.ts";
import type { ObjectInfo, Storage } from "./types.ts";

/** An archive found in storage: its listing entry plus its parsed name. */
export type StoredArchive = ObjectInfo & { archive: ArchiveName };

/** What {@link retainArchives} kept and removed (keys, newest first for `kept`). */
export interface RetentionResult {
  kept: string[];
  deleted: string[];
}

/**
 * The archives of `repoName` stored at the root of `storage` (keys without a `/`), newest first by the
 * timestamp in their names (ties: newer `lastModified`, then key). Other repositories' archives, whose
 * names merely start the same way (`api` vs `api-gateway`), are not included.
 */
export async function listArchives(
  storage: Pick<Storage, "list">,
  repoName: string,
  options: { type?: "full" | "incremental" } = {},
): Promise<StoredArchive[]> {
  const found: StoredArchive[] = [];
  for (const info of await storage.list()) {
    if (info.key.includes("/")) continue;
    const archive = parseArchiveName(info.key);
    if (!archive || archive.repo !== repoName) continue;
    if (options.type && archive.type !== options.type) continue;
    found.push({ ...info, archive });
  }
  return found.sort((a, b) =>
    b.archive.stamp.localeCompare(a.archive.stamp) ||
    b.lastModified.getTime() - a.lastModified.getTime() ||
    b.key.localeCompare(a.key)
  );
}

/** The newest archive of `repoName` (optionally of one type), or undefined when there is none. */
export async function latestArchive(
  storage: Pick<Storage, "list">,
  repoName: string,
  options: { type?: "full" | "incremental" } = {},
): Promise<StoredArchive | undefined> {
  return (await listArchives(storage, repoName, options))[0];
}

/**
 * Keeps the newest `keepNewest` archives of `repoName` and deletes the older ones with their sidecars
 * (`<archive>.minisig`, `<archive>.report.html`, …). Chains stay restorable: when the oldest kept archive
 * is incremental, older archives are kept back to and including the nearest full one, so more than N may
 * remain. Sidecars whose archive is gone and older than every kept archive are removed too. Archives are
 * deleted before their sidecars, so an interrupted run leaves at worst orphan sidecars the next run removes.
 * @param options.dryRun report what would be deleted without deleting. Default false.
 * @throws RangeError when `keepNewest` is not an integer ≥ 1; storage errors from list/delete.
 */
export async function retainArchives(
  storage: Pick<Storage, "list" | "delete">,
  repoName: string,
  options: { keepNewest: number; dryRun?: boolean },
): Promise<RetentionResult> {
  const { keepNewest } = options;
  if (!Number.isInteger(keepNewest) || keepNewest < 1) {
    throw new RangeError(
      `Cannot apply retention: keep newest must be a whole number >= 1, got ${keepNewest}`,
    );
  }
  const listing = await storage.list();
  const archives = await listArchives({ list: () => Promise.resolve(listing) }, repoName);
  let keepCount = Math.min(keepNewest, archives.length);
  while (keepCount < archives.length && archives[keepCount - 1]?.archive.type === "incremental") keepCount++;
  const kept = archives.slice(0, keepCount);
  const doomed = archives.slice(keepCount).map((a) => a.key);
  const keptNames = new Set(kept.map((a) => a.key));
  const oldestKept = kept.at(-1)?.archive.stamp;
  const sidecars = listing.map((o) => o.key).filter((key) => {
    if (key.includes("/")) return false;
    const owner = sidecarOf(key);
    const parsed = owner ? parseArchiveName(owner) : undefined;
    if (!owner || !parsed || parsed.repo !== repoName || keptNames.has(owner)) return false;
    return doomed.includes(owner) || (oldestKept !== undefined && parsed.stamp < oldestKept);
  });
  const deleted = [...doomed, ...sidecars];
  if (!options.dryRun) {
    for (const key of deleted) await storage.delete(key);
  }
  return { kept: kept.map((a) => a.key), deleted };
}
