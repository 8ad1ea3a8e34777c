import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { VerificationError } from "../errors.ts";
import type { RestoreLayer } from "./apply_layer.ts";
import type { ChainLink } from "./chain.ts";
import { inspectArchive } from "./inspect.ts";
import type { Manifest } from "./manifest.ts";
import { volumeIndexPathFor } from "./volumes.ts";

/**
 * Reads only the manifest of each archive (cheap: the first tar entry), so the chain can be checked
 * before anything is extracted or changed.
 * @throws UsageError (missing file) or VerificationError (bad manifest), naming the archive.
 */
export async function readChainLinks(paths: string[], action = "restore"): Promise<ChainLink[]> {
  const links: ChainLink[] = [];
  for (const path of paths) {
    const r = await inspectArchive(path, { action });
    links.push({ name: displayName(path), manifest: r.manifest, manifestSha256: r.manifest_sha256 });
  }
  return links;
}

/** The name an archive is shown by: its file name, or the archive name of a volume set. */
export function displayName(path: string): string {
  const index = volumeIndexPathFor(path);
  return index ? basename(index).replace(/\.volumes\.json$/, "") : basename(path);
}

/**
 * Checks that the archive verified and extracted is the one whose manifest the chain check read
 * (the file was not swapped in between).
 * @throws VerificationError.
 */
export function assertSameManifest(link: ChainLink, manifestSha256: string): void {
  if (link.manifestSha256 !== manifestSha256) {
    throw new VerificationError(
      `Cannot restore "${link.name}": its manifest changed while it was being restored. Nothing was changed`,
      { entry: "manifest.json" },
    );
  }
}

/**
 * Every value each ref had along the chain before its last state, plus `before` (the repository's
 * refs when an incremental is applied onto it). A target that still holds one of these values is
 * behind the source on the same line of archives, so moving it is what the source did.
 */
export function refHistory(
  manifests: Manifest[],
  before: Record<string, string> = {},
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (ref: string, oid: string) => {
    const list = out[ref] ??= [];
    if (!list.includes(oid)) list.push(oid);
  };
  for (const [ref, oid] of Object.entries(before)) add(ref, oid);
  for (const m of manifests.slice(0, -1)) for (const [ref, oid] of Object.entries(m.refs)) add(ref, oid);
  return out;
}

/** Refs deleted somewhere along the chain that the last state does not have again. */
export function deletedAlongChain(manifests: Manifest[]): string[] {
  const last = manifests[manifests.length - 1];
  const all = new Set(manifests.flatMap((m) => m.deleted_refs));
  return [...all].filter((r) => !Object.hasOwn(last.refs, r)).sort();
}

/**
 * Completes the last layer's `dependencies/` with the files it inherits, copied from the earlier
 * layers that carry them (same path and sha256, all verified on extraction). Returns the reason when
 * some inherited file is not at hand (an incremental applied alone with --into), else undefined.
 */
export function assembleDependencies(layers: RestoreLayer[]): string | undefined {
  const last = layers[layers.length - 1];
  const inherited = Object.values(last.manifest.dependencies).flatMap((d) => d.inherited);
  let missing = 0;
  for (const f of inherited) {
    const source = layers.slice(0, -1).reverse().find((l) =>
      l.manifest.files.some((e) => e.path === f.path && e.sha256 === f.sha256)
    );
    if (!source) {
      missing++;
      continue;
    }
    const to = join(last.stagingDir, ...f.path.split("/"));
    if (existsSync(to)) continue;
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(join(source.stagingDir, ...f.path.split("/")), to);
  }
  if (missing === 0) return undefined;
  return `${missing} dependency file(s) come from earlier archives of the chain that were not given; ` +
    "restore the whole chain (FULL INC…) to install dependencies";
}
