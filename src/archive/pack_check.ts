import { createHash, type Hash } from "node:crypto";
import type { ObjectFormat } from "./bundle_header.ts";

/** What a checked pack holds. */
export interface PackSummary {
  /** Pack format version (2 or 3). */
  version: number;
  /** Object count from the pack header. */
  objects: number;
  /** Pack length in bytes, trailer included. */
  bytes: number;
}

const TRAILER: Record<ObjectFormat, number> = { sha1: 20, sha256: 32 };
const HEADER = 12;

/**
 * Streaming check of a git pack (gitformat-pack(5)): `PACK` signature, version 2 or 3, object count,
 * and the trailer — the SHA-1 (SHA-256 for sha256 repositories) of every byte before it. Memory use is
 * constant: only the last trailer-length bytes are held back.
 *
 * This catches truncation and any flipped byte; it does not inflate objects (git `index-pack`/`fsck`
 * does that on restore).
 */
export class PackChecker {
  #hash: Hash;
  #trailerLength: number;
  #tail: Uint8Array = new Uint8Array(0);
  #head = new Uint8Array(HEADER);
  #headLength = 0;
  #bytes = 0;

  constructor(objectFormat: ObjectFormat = "sha1") {
    this.#hash = createHash(objectFormat);
    this.#trailerLength = TRAILER[objectFormat];
  }

  /** Feeds the next pack bytes. */
  update(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#bytes += chunk.length;
    if (this.#headLength < HEADER) {
      const take = Math.min(HEADER - this.#headLength, chunk.length);
      this.#head.set(chunk.subarray(0, take), this.#headLength);
      this.#headLength += take;
    }
    const n = this.#trailerLength;
    if (chunk.length >= n) {
      if (this.#tail.length) this.#hash.update(this.#tail);
      this.#hash.update(chunk.subarray(0, chunk.length - n));
      this.#tail = chunk.slice(chunk.length - n);
      return;
    }
    const joined = new Uint8Array(this.#tail.length + chunk.length);
    joined.set(this.#tail);
    joined.set(chunk, this.#tail.length);
    const over = joined.length - n;
    if (over > 0) {
      this.#hash.update(joined.subarray(0, over));
      this.#tail = joined.slice(over);
    } else {
      this.#tail = joined;
    }
  }

  /** Ends the pack; throws `SyntaxError` describing the first problem. */
  finish(): PackSummary {
    const n = this.#trailerLength;
    if (this.#bytes === 0) throw new SyntaxError("bundle has no pack data");
    const h = this.#head;
    if (this.#headLength >= 4 && !(h[0] === 0x50 && h[1] === 0x41 && h[2] === 0x43 && h[3] === 0x4b)) {
      throw new SyntaxError("pack does not start with the PACK signature");
    }
    if (this.#bytes < HEADER + n) throw new SyntaxError(`pack is truncated (${this.#bytes} bytes)`);
    const view = new DataView(h.buffer, h.byteOffset, HEADER);
    const version = view.getUint32(4);
    if (version !== 2 && version !== 3) throw new SyntaxError(`unsupported pack version ${version}`);
    const objects = view.getUint32(8);
    const body = this.#bytes - HEADER - n;
    // Every object takes at least a type/size byte and a minimal zlib stream (2 + 1 + 4 bytes).
    if (objects * 8 > body) {
      throw new SyntaxError(`pack claims ${objects} objects in ${body} bytes (truncated)`);
    }
    if (objects === 0 && body !== 0) throw new SyntaxError("pack claims no objects but has object data");
    const digest = this.#hash.digest();
    if (!equalBytes(digest, this.#tail)) {
      throw new SyntaxError("pack checksum mismatch (the pack is corrupt or truncated)");
    }
    return { version, objects, bytes: this.#bytes };
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
