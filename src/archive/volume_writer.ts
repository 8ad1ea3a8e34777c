import { createHash, type Hash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { Writable } from "node:stream";
import { commitPartial, fsyncPath, PARTIAL_SUFFIX } from "../fs/atomic_write.ts";
import { VOLUME_INDEX_SUFFIX, type VolumeIndex, volumeName } from "./volumes.ts";

/** One written volume. */
export interface WrittenVolume {
  name: string;
  /** Final path (after {@link VolumeWriter.commit}). */
  path: string;
  size: number;
  sha256: string;
}

interface Open {
  fd: number;
  name: string;
  size: number;
  hash: Hash;
}

/**
 * A writable stream that cuts what it is given into volumes `<archive>.001`, `.002`, … of at most
 * `capacity` bytes each, written as `.partial` files (created exclusively, fsynced when full).
 * {@link commit} gives them their final names and writes the index `<archive>.volumes.json` last, so
 * an index exists only for a complete set; {@link abort} removes everything written.
 */
export class VolumeWriter extends Writable {
  readonly #final: string;
  readonly #capacity: number;
  readonly #volumes: WrittenVolume[] = [];
  readonly #whole = createHash("sha256");
  #open?: Open;
  #committed: string[] = [];

  /**
   * @param finalArchivePath the archive's path as if it were one file (`dir/x.tar.gz`).
   * @param capacity largest volume size in bytes (≥ 1).
   */
  constructor(finalArchivePath: string, capacity: number) {
    super();
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError("volume capacity must be ≥ 1");
    this.#final = finalArchivePath;
    this.#capacity = capacity;
  }

  /** Paths that would be taken: the index and the first volume (callers refuse to overwrite them). */
  static targets(finalArchivePath: string): string[] {
    return [
      finalArchivePath + VOLUME_INDEX_SUFFIX,
      join(dirname(finalArchivePath), volumeName(basename(finalArchivePath), 1)),
    ];
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (error?: Error | null) => void): void {
    try {
      this.#whole.update(chunk);
      let off = 0;
      while (off < chunk.length) {
        if (!this.#open || this.#open.size === this.#capacity) this.#rotate();
        const o = this.#open!;
        const n = Math.min(chunk.length - off, this.#capacity - o.size);
        const part = chunk.subarray(off, off + n);
        let done = 0;
        while (done < n) done += writeSync(o.fd, part, done, n - done);
        o.hash.update(part);
        o.size += n;
        off += n;
      }
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _final(cb: (error?: Error | null) => void): void {
    try {
      this.#close();
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _destroy(error: Error | null, cb: (error?: Error | null) => void): void {
    if (this.#open) {
      try {
        closeSync(this.#open.fd);
      } catch {
        // already closed
      }
      this.#open = undefined;
    }
    cb(error);
  }

  #rotate(): void {
    this.#close();
    const name = volumeName(basename(this.#final), this.#volumes.length + 1);
    const path = join(dirname(this.#final), name);
    const fd = openSync(path + PARTIAL_SUFFIX, "wx", 0o644);
    this.#volumes.push({ name, path, size: 0, sha256: "" });
    this.#open = { fd, name, size: 0, hash: createHash("sha256") };
  }

  #close(): void {
    const o = this.#open;
    if (!o) return;
    fsyncSync(o.fd);
    closeSync(o.fd);
    const v = this.#volumes[this.#volumes.length - 1];
    v.size = o.size;
    v.sha256 = o.hash.digest("hex");
    this.#open = undefined;
  }

  /**
   * Writes the index as a `.partial`, lets `beforeCommit` see it (signing), then gives every volume its
   * final name (never replacing a file) and the index last. On failure everything written is removed.
   * @throws ArchiveError when a final name is taken.
   */
  async commit(
    beforeCommit?: (indexPartial: string, index: VolumeIndex) => Promise<void>,
  ): Promise<
    { index: VolumeIndex; indexPath: string; volumes: WrittenVolume[]; size: number; sha256: string }
  > {
    const size = this.#volumes.reduce((n, v) => n + v.size, 0);
    const index: VolumeIndex = {
      format: "repo-cloner-volumes",
      version: 1,
      archive: basename(this.#final),
      size,
      sha256: this.#whole.digest("hex"),
      volume_size: this.#capacity,
      volumes: this.#volumes.map((v) => ({ name: v.name, size: v.size, sha256: v.sha256 })),
    };
    const indexPath = this.#final + VOLUME_INDEX_SUFFIX;
    try {
      writeFileSync(indexPath + PARTIAL_SUFFIX, JSON.stringify(index, null, 2) + "\n", {
        flag: "wx",
        mode: 0o644,
      });
      fsyncPath(indexPath + PARTIAL_SUFFIX);
      await beforeCommit?.(indexPath + PARTIAL_SUFFIX, index);
      for (const v of this.#volumes) {
        commitPartial(v.path + PARTIAL_SUFFIX, v.path);
        this.#committed.push(v.path);
      }
      commitPartial(indexPath + PARTIAL_SUFFIX, indexPath);
    } catch (e) {
      this.abort();
      throw e;
    }
    return { index, indexPath, volumes: [...this.#volumes], size, sha256: index.sha256 };
  }

  /** Removes every volume and partial written so far (and a partial index). */
  abort(): void {
    this.destroy();
    for (const v of this.#volumes) rmSync(v.path + PARTIAL_SUFFIX, { force: true });
    for (const p of this.#committed) if (existsSync(p)) rmSync(p, { force: true });
    rmSync(this.#final + VOLUME_INDEX_SUFFIX + PARTIAL_SUFFIX, { force: true });
    this.#committed = [];
  }
}
