import { existsSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { commitPartial, PARTIAL_SUFFIX } from "../fs/atomic_write.ts";
import { type ArchiveSigned, SIGNATURE_SUFFIX } from "./archive_signature.ts";
import type { Manifest } from "./manifest.ts";
import { archiveTooLarge, formatSize, SizeLimitReached } from "./size_limit.ts";
import { type TarEntry, writeTarGz } from "./tar_writer.ts";
import { VolumeWriter, type WrittenVolume } from "./volume_writer.ts";

/** Signs a finished file before it gets its final name (see `CreateArchiveOptions.sign`). */
export type SignHook = (
  file: string,
  info: { name: string; manifest: Manifest; signaturePath: string },
) => Promise<ArchiveSigned>;

/** Options of {@link writeArchive}. */
export interface WriteArchiveOptions {
  /** Repository name, for the size-limit message. */
  repository: string;
  manifest: Manifest;
  entries: TarEntry[];
  mtime: Date;
  gzipLevel?: number;
  /** Largest total compressed size (`archive.max_size`). Default none. */
  maxBytes?: number;
  /** Split into volumes smaller than this (`--split-size`). Default one file. */
  splitBytes?: number;
  sign?: SignHook;
  signal?: AbortSignal;
}

/** One file written, in the order to copy them to storage. */
export interface WrittenFile {
  name: string;
  path: string;
  size: number;
  sha256: string;
}

/** What {@link writeArchive} left in the output directory. */
export interface WrittenArchive {
  /** What verify and restore are given: the `.tar.gz`, or the volume index of a split archive. */
  path: string;
  /** Its file name. */
  name: string;
  /** Size and sha256 of the whole `.tar.gz` stream (all volumes together). */
  size: number;
  sha256: string;
  /** The volumes of a split archive, in order. */
  volumes?: WrittenVolume[];
  /** Files to copy to storage before `path`: the volumes of a split archive (else none). */
  files: WrittenFile[];
  signature?: ArchiveSigned;
}

/**
 * Writes the archive `<dir>/<name>` (`name` ends in `.tar.gz`) as one file, or as volumes plus their
 * index when `splitBytes` is given; everything goes to `.partial` names first, is signed when asked,
 * and only then takes its final names (the signature last but one, the index last). Stops as soon
 * as the output passes `maxBytes` with the spec's "Archive size exceeds limit". On any failure no
 * file with a final name is left.
 * @throws ArchiveError (size limit, name taken, write failure).
 */
export async function writeArchive(
  dir: string,
  name: string,
  options: WriteArchiveOptions,
): Promise<WrittenArchive> {
  const finalPath = join(dir, name);
  const tarOptions = {
    mtime: options.mtime,
    gzipLevel: options.gzipLevel,
    signal: options.signal,
    maxBytes: options.maxBytes,
  };
  const tooLarge = (e: unknown) =>
    e instanceof SizeLimitReached
      ? archiveTooLarge({
        name: options.repository,
        limit: e.limit,
        detail: `grew past the limit while being written (${
          formatSize(options.entries.reduce((n, x) => n + ("size" in x ? x.size : x.content.length), 0))
        } uncompressed in all)`,
      })
      : e;
  if (options.splitBytes !== undefined) {
    // Volumes are strictly smaller than the split size: "--split-size 4G" fits FAT32 (4 GiB − 1 byte).
    const volumes = new VolumeWriter(finalPath, Math.max(1, options.splitBytes - 1));
    let signature: ArchiveSigned | undefined;
    const indexName = basename(finalPath) + ".volumes.json";
    const sigFinal = join(dir, indexName + SIGNATURE_SUFFIX);
    try {
      await writeTarGz(volumes, options.entries, tarOptions);
      const done = await volumes.commit(async (indexPartial) => {
        if (options.sign) {
          signature = await options.sign(indexPartial, {
            name: indexName,
            manifest: options.manifest,
            signaturePath: sigFinal + PARTIAL_SUFFIX,
          });
          commitPartial(sigFinal + PARTIAL_SUFFIX, sigFinal);
        }
      });
      const files = done.volumes.map((v) => ({ name: v.name, path: v.path, size: v.size, sha256: v.sha256 }));
      return {
        path: done.indexPath,
        name: indexName,
        size: done.size,
        sha256: done.sha256,
        volumes: done.volumes,
        files,
        signature: signature && { ...signature, signaturePath: sigFinal },
      };
    } catch (e) {
      volumes.abort();
      if (signature) rmSync(sigFinal, { force: true });
      throw tooLarge(e);
    } finally {
      rmSync(sigFinal + PARTIAL_SUFFIX, { force: true });
    }
  }
  const partialPath = finalPath + PARTIAL_SUFFIX;
  const sigFinal = finalPath + SIGNATURE_SUFFIX;
  const sigPartial = sigFinal + PARTIAL_SUFFIX;
  let committed = false;
  try {
    const written = await writeTarGz(partialPath, options.entries, tarOptions).catch((e) => {
      throw tooLarge(e);
    });
    let signature: ArchiveSigned | undefined;
    if (options.sign) {
      signature = await options.sign(partialPath, {
        name,
        manifest: options.manifest,
        signaturePath: sigPartial,
      });
    }
    commitPartial(partialPath, finalPath);
    committed = true;
    if (signature) {
      try {
        commitPartial(sigPartial, sigFinal);
      } catch (e) {
        rmSync(finalPath, { force: true }); // never leave a signed archive without its signature
        throw e;
      }
      signature = { ...signature, signaturePath: sigFinal };
    }
    return {
      path: finalPath,
      name,
      size: written.size,
      sha256: written.sha256,
      files: [],
      signature,
    };
  } finally {
    if (!committed) rmSync(partialPath, { force: true });
    rmSync(sigPartial, { force: true });
  }
}

/** The final paths a write of `<dir>/<name>` would take; none may exist beforehand. */
export function archiveTargets(dir: string, name: string, split: boolean): string[] {
  const finalPath = join(dir, name);
  return split ? VolumeWriter.targets(finalPath) : [finalPath];
}

/** The first of `paths` that exists, if any. */
export function firstExisting(paths: string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}
