/** Helpers shared by the hostile-archive builders: copy sample parts, write raw tars around them. */
import type { ArchiveParts, PartEntry } from "./make_archive.ts";
import { manifestText } from "./make_archive.ts";
import { concat, END_OF_ARCHIVE, rawFile } from "./raw_tar.ts";

/** A deep copy of parts, for editing. */
export function clone(p: ArchiveParts): ArchiveParts {
  return {
    repo: p.repo,
    manifest: structuredClone(p.manifest),
    entries: p.entries.map((e) => ({ path: e.path, content: new Uint8Array(e.content) })),
  };
}

/** A tar built with the raw writer: manifest.json, extra blocks, entries, trailing blocks. */
export function rawTar(
  p: ArchiveParts,
  options: {
    manifest?: string | null;
    before?: Uint8Array[];
    after?: Uint8Array[];
    entries?: PartEntry[];
    end?: boolean;
  } = {},
): Uint8Array {
  const text = options.manifest === undefined ? manifestText(p.manifest) : options.manifest;
  const blocks: Uint8Array[] = [];
  if (text !== null) blocks.push(rawFile("manifest.json", text));
  blocks.push(...(options.before ?? []));
  for (const e of options.entries ?? p.entries) {
    blocks.push(rawFile(e.path, e.content, { mode: e.path.endsWith(".sh") ? 0o755 : 0o644 }));
  }
  blocks.push(...(options.after ?? []));
  if (options.end ?? true) blocks.push(END_OF_ARCHIVE);
  return concat(...blocks);
}

/** The first entry whose path starts with `prefix`. */
export function entry(p: ArchiveParts, prefix: string): PartEntry {
  const e = p.entries.find((x) => x.path.startsWith(prefix));
  if (!e) throw new Error(`sample has no ${prefix}`);
  return e;
}
