import { VerificationError } from "../errors.ts";
import { chainDependencyFiles, chainLfs } from "./base_archive.ts";
import type { Manifest } from "./manifest.ts";
import { refStateSha256 } from "./ref_state.ts";

/** One archive of a chain, known by its manifest. */
export interface ChainLink {
  /** File name, for messages. */
  name: string;
  manifest: Manifest;
  /** sha256 of its manifest.json bytes. */
  manifestSha256: string;
}

/** Options of {@link checkChain}. */
export interface CheckChainOptions {
  /** The first archive must be a full one (a restore into a new directory). Default true. */
  startsWithFull?: boolean;
  /** Verb for messages: `Cannot <action> the chain`. Default "restore". */
  action?: string;
}

/** Where each archive sits: "1/3 full", "2/3 incremental on <id>". */
export function chainPositions(links: ChainLink[]): string[] {
  return links.map((l, i) =>
    `${i + 1}/${links.length} ${l.manifest.type}` +
    (l.manifest.base ? ` on ${l.manifest.base.archive_id}` : "")
  );
}

/**
 * Checks that `links` are one chain in order, from their manifests alone: a full archive first (unless
 * `startsWithFull` is false), then incrementals each built on the one before it — its `base.archive_id`
 * is the previous archive's id, its `base.sha256` the sha256 of that manifest, its `base.refs_sha256`
 * the previous ref state — and each inherited LFS object and dependency file carried earlier in the
 * chain. A link whose base is not the previous archive is named: out of order (its base comes later),
 * missing (no given archive is its base), or of another repository.
 * @throws VerificationError (exit 3) naming the first archive that breaks the chain.
 */
export function checkChain(links: ChainLink[], options: CheckChainOptions = {}): void {
  const head = `Cannot ${options.action ?? "restore"} the chain`;
  const order = () => {
    const o = suggestOrder(links);
    return o ? ` Give them in order: ${o}` : "";
  };
  const action = options.action ?? "restore";
  const tail = action === "restore" ? ". Nothing was changed" : "";
  const fail = (why: string) => new VerificationError(`${head}: ${why}${tail}`);
  const at = (i: number) => `"${links[i].name}" (archive ${i + 1} of ${links.length})`;
  const seen = new Map<string, number>();
  links.forEach((l, i) => {
    const earlier = seen.get(l.manifest.archive_id);
    if (earlier !== undefined) throw fail(`${at(i)} is the same archive as ${at(earlier)}`);
    seen.set(l.manifest.archive_id, i);
  });
  if ((options.startsWithFull ?? true) && links[0]?.manifest.type !== "full") {
    const base = links[0]?.manifest.base?.archive_id;
    throw fail(
      `${at(0)} is an incremental archive; give the full archive it builds on${
        base ? ` (${base})` : ""
      } first, ` +
        "or apply it onto the repository restored earlier with --into",
    );
  }
  for (let i = 1; i < links.length; i++) {
    const m = links[i].manifest;
    const prev = links[i - 1];
    if (m.type === "full" || m.base === null) {
      throw fail(`${at(i)} is a full archive; a chain has one full archive, first (out of order).${order()}`);
    }
    if (m.repository.name !== prev.manifest.repository.name) {
      throw fail(
        `${at(i)} is an archive of repository "${m.repository.name}", not "${prev.manifest.repository.name}"`,
      );
    }
    if (m.base.archive_id !== prev.manifest.archive_id) {
      const j = seen.get(m.base.archive_id);
      throw fail(
        j !== undefined
          ? `${at(i)} builds on ${at(j)}, which must come right before it (out of order).${order()}`
          : `${at(i)} builds on archive ${m.base.archive_id}, which is not given: the archive between ` +
            `"${prev.name}" and "${links[i].name}" is missing, or "${
              links[i].name
            }" belongs to another chain`,
      );
    }
    if (m.base.sha256 !== prev.manifestSha256 || m.base.refs_sha256 !== refStateSha256(prev.manifest.refs)) {
      throw fail(
        `${
          at(i)
        } builds on an archive with the id of "${prev.name}" but different content (manifest or ref ` +
          "state sha256 mismatch): not the same archive",
      );
    }
    const lfs = chainLfs(prev.manifest);
    const lost = m.lfs.inherited.find((o) => lfs.get(o.oid) !== o.size);
    if (lost) throw fail(`${at(i)} inherits LFS object ${lost.oid}, which no earlier archive carries`);
    const deps = chainDependencyFiles(prev.manifest);
    for (const d of Object.values(m.dependencies)) {
      const gone = d.inherited.find((f) => deps.get(f.path)?.sha256 !== f.sha256);
      if (gone) {
        throw fail(`${at(i)} inherits dependency file "${gone.path}", which no earlier archive carries`);
      }
    }
  }
}

/** The given archives in chain order, when they form one complete chain; else undefined. */
function suggestOrder(links: ChainLink[]): string | undefined {
  const byBase = new Map<string, ChainLink>();
  for (const l of links) if (l.manifest.base) byBase.set(l.manifest.base.archive_id, l);
  let cur = links.find((l) => l.manifest.type === "full") ??
    links.find((l) => !links.some((o) => o.manifest.archive_id === l.manifest.base?.archive_id));
  const order: string[] = [];
  while (cur && order.length < links.length) {
    order.push(`"${cur.name}"`);
    cur = byBase.get(cur.manifest.archive_id);
  }
  return order.length === links.length ? order.join(", ") : undefined;
}
