import { createHash } from "node:crypto";
import { createReadStream, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { ArchiveFormatError } from "./archive_format_error.ts";

/**
 * Split volumes (docs/ARCHIVE-FORMAT.md §13): one `.tar.gz` cut into byte ranges
 * `<archive>.001`, `<archive>.002`, … plus the index `<archive>.volumes.json` naming each volume with
 * its size and sha256, and the size and sha256 of the whole stream. Concatenated, the volumes are the
 * archive; readers stream across them without writing the concatenation anywhere.
 */
export const VOLUME_INDEX_SUFFIX = ".volumes.json";

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const indexSchema = z.strictObject({
  format: z.literal("repo-cloner-volumes"),
  version: z.literal(1),
  archive: z.string().regex(/^[^/\\\0]+\.tar\.gz$/),
  size: z.number().int().positive(),
  sha256,
  volume_size: z.number().int().positive(),
  volumes: z.array(z.strictObject({ name: z.string(), size: z.number().int().positive(), sha256 })).min(1),
});

/** The index file's content. */
export type VolumeIndex = z.infer<typeof indexSchema>;

/** Name of volume `n` (1-based) of `archiveName`: `x.tar.gz.001`. */
export function volumeName(archiveName: string, n: number): string {
  return `${archiveName}.${String(n).padStart(3, "0")}`;
}

/**
 * The index path for a path that names a volume set — the index itself, or any numbered volume
 * (`x.tar.gz.001`) — or undefined for anything else (a plain archive).
 */
export function volumeIndexPathFor(path: string): string | undefined {
  if (path.endsWith(VOLUME_INDEX_SUFFIX)) return path;
  const m = path.match(/^(.*\.tar\.gz)\.\d{3,}$/);
  return m ? m[1] + VOLUME_INDEX_SUFFIX : undefined;
}

/** An opened volume set. */
export interface VolumeSet {
  index: VolumeIndex;
  /** Absolute paths of the volumes, in order. */
  files: string[];
  /** Every volume's bytes in order; each volume's size and sha256 are checked at its end. */
  chunks(onRead?: (bytes: number) => void): AsyncGenerator<Uint8Array>;
  /** After a failure: re-hashes every volume and returns an error naming the first bad one, if any. */
  explain(error: unknown): Promise<unknown>;
}

/**
 * Opens the volume set `path` names (its index or one of its volumes): reads and checks the index,
 * then checks that every volume exists with its listed size, so a missing or truncated volume is named
 * before any byte is read.
 * @throws ArchiveFormatError (`openFailed` when the index itself cannot be read).
 */
export function openVolumeSet(path: string): VolumeSet {
  const indexPath = volumeIndexPathFor(path) ?? path;
  let text: string;
  try {
    text = readFileSync(indexPath, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT"
      ? `the volume index "${basename(indexPath)}" is missing; copy it along with the volumes`
      : `cannot read the volume index "${basename(indexPath)}" (${code ?? error})`;
    throw new ArchiveFormatError(why, { openFailed: true, cause: error });
  }
  const index = parseIndex(text, basename(indexPath));
  const dir = dirname(indexPath);
  const files = index.volumes.map((v) => join(dir, v.name));
  index.volumes.forEach((v, i) => {
    let size: number | undefined;
    try {
      size = statSync(files[i]).size;
    } catch {
      size = undefined;
    }
    if (size === undefined) {
      throw new ArchiveFormatError(`volume "${v.name}" (${i + 1} of ${files.length}) is missing`, {
        entry: v.name,
        hint: "Copy every volume listed in the index next to it",
      });
    }
    if (size !== v.size) {
      throw new ArchiveFormatError(
        `volume "${v.name}" has ${size} bytes, the index lists ${v.size} (truncated or wrong file)`,
        { entry: v.name, hint: "Copy that volume again" },
      );
    }
  });
  return {
    index,
    files,
    chunks: (onRead) => readVolumes(index, files, onRead),
    explain: (error) => explainFailure(index, files, error),
  };
}

function parseIndex(text: string, name: string): VolumeIndex {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ArchiveFormatError(`volume index "${name}" is not valid JSON`, { entry: name });
  }
  const parsed = indexSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArchiveFormatError(
      `volume index "${name}" is not a repo-cloner volume index: ${issue.path.join(".")}: ${issue.message}`,
      { entry: name },
    );
  }
  const index = parsed.data;
  const total = index.volumes.reduce((n, v) => n + v.size, 0);
  const badName = index.volumes.findIndex((v, i) => v.name !== volumeName(index.archive, i + 1));
  if (badName >= 0 || total !== index.size || index.volumes.some((v) => v.size > index.volume_size)) {
    throw new ArchiveFormatError(`volume index "${name}" is inconsistent (volume names, sizes or total)`, {
      entry: name,
    });
  }
  return index;
}

async function* readVolumes(
  index: VolumeIndex,
  files: string[],
  onRead?: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  const whole = createHash("sha256");
  let read = 0;
  for (let i = 0; i < files.length; i++) {
    const v = index.volumes[i];
    const hash = createHash("sha256");
    let size = 0;
    const input = createReadStream(files[i], { highWaterMark: 1 << 19 });
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > v.size) break;
        hash.update(chunk);
        whole.update(chunk);
        read += chunk.length;
        onRead?.(read);
        yield chunk;
      }
    } finally {
      input.destroy();
    }
    if (size !== v.size || hash.digest("hex") !== v.sha256) throw corrupt(v.name, i, files.length);
  }
  if (whole.digest("hex") !== index.sha256) {
    throw new ArchiveFormatError(`the volumes together do not match the index's sha256`, {
      entry: basename(index.archive) + VOLUME_INDEX_SUFFIX,
    });
  }
}

function corrupt(name: string, i: number, n: number): ArchiveFormatError {
  return new ArchiveFormatError(
    `volume "${name}" (${i + 1} of ${n}) is corrupt (its sha256 differs from the index)`,
    { entry: name, hint: "Copy that volume again from the original media" },
  );
}

async function explainFailure(index: VolumeIndex, files: string[], error: unknown): Promise<unknown> {
  if (
    error instanceof ArchiveFormatError && error.entry && index.volumes.some((v) => v.name === error.entry)
  ) {
    return error;
  }
  for (let i = 0; i < files.length; i++) {
    const hash = createHash("sha256");
    try {
      for await (
        const chunk of createReadStream(files[i], { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>
      ) {
        hash.update(chunk);
      }
    } catch {
      return corrupt(index.volumes[i].name, i, files.length);
    }
    if (hash.digest("hex") !== index.volumes[i].sha256) {
      return corrupt(index.volumes[i].name, i, files.length);
    }
  }
  return error;
}
