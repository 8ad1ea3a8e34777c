/**
 * A pass-through stream that hashes what flows through it (sha256, plus the per-part MD5s S3 uses for
 * its ETag), counts bytes, and fails at end of stream when the body differs from what was declared —
 * so a consumer (an upload, a file write) sees an error instead of a clean end and never commits it.
 */
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { StorageError } from "./errors.ts";

/** Options of {@link Meter}. */
export interface MeterOptions {
  /** Expected sha256 (hex); mismatch fails the stream at its end. */
  sha256?: string;
  /** Expected size; more bytes fail the stream at once, fewer at its end. */
  size?: number;
  /** Part size for the S3 ETag computation; 0 (default) skips it. */
  partSize?: number;
  /** Where the body goes, for error messages. */
  url: string;
  /** Called after each chunk with the running byte count. */
  onBytes?: (bytes: number) => void;
}

/** Hashing, counting, checking pass-through. Read `sha256`, `bytes` and `etag()` after it ended. */
export class Meter extends Transform {
  bytes = 0;
  sha256 = "";
  #hash = createHash("sha256");
  #options: MeterOptions;
  #partMd5?: Hash;
  #partBytes = 0;
  #partDigests: Buffer[] = [];
  #wholeMd5?: Hash;
  #wholeHex?: string;

  constructor(options: MeterOptions) {
    super();
    this.#options = options;
    if (options.partSize) this.#wholeMd5 = createHash("md5");
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    this.bytes += buf.length;
    const { size } = this.#options;
    if (size !== undefined && this.bytes > size) {
      done(this.#mismatch(`it is larger than the declared ${size} bytes`));
      return;
    }
    this.#hash.update(buf);
    if (this.#wholeMd5) {
      this.#wholeMd5.update(buf);
      this.#md5(buf);
    }
    this.#options.onBytes?.(this.bytes);
    done(null, buf);
  }

  override _flush(done: TransformCallback): void {
    this.sha256 = this.#hash.digest("hex");
    if (this.#partMd5 && this.#partBytes > 0) this.#partDigests.push(this.#partMd5.digest());
    const { sha256, size } = this.#options;
    if (size !== undefined && this.bytes !== size) {
      done(this.#mismatch(`it has ${this.bytes} bytes, ${size} were declared`));
    } else if (sha256 !== undefined && sha256.toLowerCase() !== this.sha256) {
      done(this.#mismatch(`its sha256 is ${this.sha256}, ${sha256} was declared`));
    } else {
      done();
    }
  }

  /**
   * ETags a store may compute for these bytes, uploaded in parts of `partSize` (lib-storage's split):
   * AWS's (MD5 of the body for a single-part upload, else MD5 of the part MD5s plus "-<parts>") and
   * the whole-body MD5 some S3-compatible stores (s3rver) use for multipart objects too.
   * Empty unless `partSize` was set. Call after the stream ended.
   */
  etags(): string[] {
    if (!this.#wholeMd5) return [];
    this.#wholeHex ??= this.#wholeMd5.digest("hex");
    const parts = this.#partDigests;
    if (parts.length <= 1) return [this.#wholeHex];
    return [
      `${createHash("md5").update(Buffer.concat(parts)).digest("hex")}-${parts.length}`,
      this.#wholeHex,
    ];
  }

  #md5(buf: Buffer): void {
    const partSize = this.#options.partSize!;
    let offset = 0;
    while (offset < buf.length) {
      this.#partMd5 ??= createHash("md5");
      const take = Math.min(partSize - this.#partBytes, buf.length - offset);
      this.#partMd5.update(buf.subarray(offset, offset + take));
      this.#partBytes += take;
      offset += take;
      if (this.#partBytes === partSize) {
        this.#partDigests.push(this.#partMd5.digest());
        this.#partMd5 = undefined;
        this.#partBytes = 0;
      }
    }
  }

  #mismatch(why: string): StorageError {
    return new StorageError(
      `Cannot store "${this.#options.url}": the body changed while it was read: ${why}`,
      {
        reason: "integrity",
      },
    );
  }
}
