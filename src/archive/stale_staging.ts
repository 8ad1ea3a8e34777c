/**
 * Leftovers of a restore that was killed (SIGKILL, power loss) in an output directory: the staging
 * directory of extraction (`.repo-cloner-staging-*`) and the partial repository (`.<name>.restore-partial-*`).
 * Only call this while holding the output directory's lock: then no other run can be using them.
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const STALE = [
  /^\.repo-cloner-staging-[A-Za-z0-9]{6}$/,
  /^\.[A-Za-z0-9_][A-Za-z0-9._-]*\.restore-partial-[A-Za-z0-9]{6}$/,
];

/** Removes stale restore leftovers from `outputDir`; returns their names. A missing directory is fine. */
export function removeStaleStaging(outputDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(outputDir);
  } catch {
    return [];
  }
  const stale = names.filter((n) => STALE.some((p) => p.test(n)));
  for (const n of stale) rmSync(join(outputDir, n), { recursive: true, force: true });
  return stale;
}
