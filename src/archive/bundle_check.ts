import { type BundleHeader, BundleHeaderParser } from "./bundle_header.ts";
import { PackChecker, type PackSummary } from "./pack_check.ts";

/** A checked bundle: its header and its pack. */
export interface BundleSummary {
  header: BundleHeader;
  pack: PackSummary;
  /** Bundle length in bytes. */
  bytes: number;
}

/**
 * Streaming check of a whole git bundle: header ({@link BundleHeaderParser}) then pack
 * ({@link PackChecker}). `update` never throws — the first problem is kept and thrown by `finish`, so a
 * caller hashing the same bytes can report a sha256 mismatch first and still learn what is wrong.
 */
export class BundleChecker {
  #parser = new BundleHeaderParser();
  #pack?: PackChecker;
  #error?: unknown;
  #bytes = 0;

  /** Feeds the next bundle bytes. */
  update(chunk: Uint8Array): void {
    this.#bytes += chunk.length;
    if (this.#error !== undefined) return;
    try {
      if (this.#pack) {
        this.#pack.update(chunk);
        return;
      }
      const at = this.#parser.push(chunk);
      if (at === undefined) return;
      this.#pack = new PackChecker(this.#parser.header.objectFormat);
      this.#pack.update(chunk.subarray(at));
    } catch (error) {
      this.#error = error;
    }
  }

  /** Ends the bundle; throws `SyntaxError` for the first problem seen. */
  finish(): BundleSummary {
    if (this.#error !== undefined) throw this.#error;
    const header = this.#parser.header;
    const pack = this.#pack!.finish();
    return { header, pack, bytes: this.#bytes };
  }
}
