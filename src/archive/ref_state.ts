import { createHash } from "node:crypto";
import { compareBytes } from "../git/refs.ts";

/**
 * sha256 of a ref state (docs/ARCHIVE-FORMAT.md §5.3): one line `<oid> <refname>\n` per ref, in the
 * byte order of the ref names. An incremental records its base's value as `base.refs_sha256`, so a
 * repository restored earlier can be checked against it without the base archive.
 */
export function refStateSha256(refs: Record<string, string>): string {
  const hash = createHash("sha256");
  for (const name of Object.keys(refs).sort(compareBytes)) hash.update(`${refs[name]} ${name}\n`);
  return hash.digest("hex");
}

/** How the ref state `after` differs from `before`. */
export interface RefChanges {
  /** Refs that are new or point elsewhere, refname -> new oid. */
  changed: Record<string, string>;
  /** Refs of `before` that `after` lacks. */
  deleted: string[];
}

/** The refs that differ between two ref states (byte order). */
export function refChanges(before: Record<string, string>, after: Record<string, string>): RefChanges {
  const changed: Record<string, string> = {};
  for (const name of Object.keys(after).sort(compareBytes)) {
    if (before[name] !== after[name]) changed[name] = after[name];
  }
  const deleted = Object.keys(before).filter((n) => !Object.hasOwn(after, n)).sort(compareBytes);
  return { changed, deleted };
}
