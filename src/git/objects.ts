import type { ModuleLogger } from "../log/logger.ts";
import { git } from "./git.ts";

/**
 * The subset of `oids` whose objects exist in the repository at `gitDir` (`git cat-file
 * --batch-check`, one process for all). Used to exclude only tips git knows: a base tip that was
 * force-pushed away or deleted (and is gone from a fresh clone) cannot be named in `^<id>`.
 */
export async function existingObjects(
  gitDir: string,
  oids: Iterable<string>,
  options: { logger?: ModuleLogger } = {},
): Promise<Set<string>> {
  const unique = [...new Set(oids)];
  if (unique.length === 0) return new Set();
  const r = await git(["cat-file", "--batch-check=%(objectname) %(objecttype)"], {
    cwd: gitDir,
    input: unique.map((o) => o + "\n").join(""),
    logger: options.logger,
  });
  const found = new Set<string>();
  for (const line of r.stdout.split("\n")) {
    const m = line.match(/^([0-9a-f]{40}(?:[0-9a-f]{24})?) (commit|tag|tree|blob)$/);
    if (m) found.add(m[1]);
  }
  return found;
}
