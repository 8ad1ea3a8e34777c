import { UsageError } from "../errors.ts";

/**
 * The flat-name rule for targets that have no nested namespaces (GitHub), also used for GitLab
 * targets so both directions agree: the repository's path relative to the group or organization it
 * was discovered in, with every `/` replaced by `-`.
 *
 *   group `backend`, project `backend/auth-service`        → `auth-service`
 *   group `backend`, project `backend/payments/api`        → `payments-api`
 *   group `backend`, project `backend/payments/eu/ledger`  → `payments-eu-ledger`
 *
 * Characters GitHub does not allow in names (anything but `A-Z a-z 0-9 . _ -`) become `-`.
 * GitHub names are case-insensitive, so two sources whose flat names differ only in case collide.
 */
export function flatName(relativePath: string): string {
  return relativePath.split("/").filter(Boolean).join("-").replace(/[^A-Za-z0-9._-]/g, "-");
}

/** A name refused before any network use: empty, leading `-` or `.`, `..`, or a `.git` suffix. */
export function checkTargetName(name: string, source: string): void {
  if (!name || name.startsWith("-") || name.startsWith(".") || name.includes("..") || /\.git$/i.test(name)) {
    throw new UsageError(
      `Cannot sync "${source}": target name "${name}" is not allowed (empty, starts with "-" or ".", ` +
        `contains "..", or ends in ".git"). Set repositories[].target for it`,
    );
  }
}

/**
 * Assigns each source its target name (`overrides` first, else {@link flatName}) and checks that no
 * two sources share one.
 * @throws UsageError naming both sources and the shared name.
 */
export function assignTargetNames<T extends { fullPath: string; relativePath: string }>(
  repos: readonly T[],
  overrides: (repo: T) => string | undefined = () => undefined,
): Map<T, string> {
  const byName = new Map<string, T>();
  const out = new Map<T, string>();
  for (const repo of repos) {
    const name = overrides(repo) ?? flatName(repo.relativePath);
    checkTargetName(name, repo.fullPath);
    const key = name.toLowerCase();
    const other = byName.get(key);
    if (other) {
      throw new UsageError(
        `Cannot map "${other.fullPath}" and "${repo.fullPath}" to the same target name "${name}". ` +
          `Rename one, exclude one, or set repositories[].target for one of them`,
      );
    }
    byName.set(key, repo);
    out.set(repo, name);
  }
  return out;
}
