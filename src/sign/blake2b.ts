/**
 * BLAKE2b (RFC 7693), unkeyed, any digest length from 1 to 64 bytes.
 *
 * Why it exists: `node:crypto` offers only `blake2b512`, and BLAKE2b-256 is not a truncated
 * BLAKE2b-512 (the digest length is part of the parameter block). minisign checksums its secret
 * keys with BLAKE2b-256, so we need the real thing. This implementation uses BigInt words and is meant
 * for small inputs (a 74-byte key checksum); hash files with `createHash("blake2b512")` instead.
 */

const MASK = (1n << 64n) - 1n;

const IV = [
  0x6a09e667f3bcc908n,
  0xbb67ae8584caa73bn,
  0x3c6ef372fe94f82bn,
  0xa54ff53a5f1d36f1n,
  0x510e527fade682d1n,
  0x9b05688c2b3e6c1fn,
  0x1f83d9abfb41bd6bn,
  0x5be0cd19137e2179n,
];

const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

const BLOCK = 128;

function rotr(x: bigint, n: bigint): bigint {
  return ((x >> n) | (x << (64n - n))) & MASK;
}

/** Incremental BLAKE2b hasher: `new Blake2b(32).update(a).update(b).digest()`. */
export class Blake2b {
  readonly outputLength: number;
  #h: bigint[];
  #buf = new Uint8Array(BLOCK);
  #fill = 0;
  #total = 0n;
  #done = false;

  /**
   * @param outputLength digest length in bytes, 1..64 (default 64).
   * @throws {RangeError} when the length is out of range.
   */
  constructor(outputLength = 64) {
    if (!Number.isInteger(outputLength) || outputLength < 1 || outputLength > 64) {
      throw new RangeError(`BLAKE2b output length must be 1..64 bytes, got ${outputLength}`);
    }
    this.outputLength = outputLength;
    this.#h = [...IV];
    this.#h[0] ^= 0x01010000n ^ BigInt(outputLength);
  }

  /** Adds bytes to the hash. @throws {Error} after `digest()`. */
  update(data: Uint8Array): this {
    if (this.#done) throw new Error("BLAKE2b: update() after digest()");
    let i = 0;
    while (i < data.length) {
      if (this.#fill === BLOCK) {
        this.#total += BigInt(BLOCK);
        this.#compress(false);
        this.#fill = 0;
      }
      const n = Math.min(BLOCK - this.#fill, data.length - i);
      this.#buf.set(data.subarray(i, i + n), this.#fill);
      this.#fill += n;
      i += n;
    }
    return this;
  }

  /** Finishes and returns the digest; the hasher cannot be used afterwards. */
  digest(): Uint8Array {
    if (this.#done) throw new Error("BLAKE2b: digest() called twice");
    this.#done = true;
    this.#total += BigInt(this.#fill);
    this.#buf.fill(0, this.#fill);
    this.#compress(true);
    const out = new Uint8Array(64);
    const view = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) view.setBigUint64(i * 8, this.#h[i], true);
    return out.slice(0, this.outputLength);
  }

  #compress(last: boolean): void {
    const view = new DataView(this.#buf.buffer, this.#buf.byteOffset, BLOCK);
    const m: bigint[] = [];
    for (let i = 0; i < 16; i++) m.push(view.getBigUint64(i * 8, true));
    const v = [...this.#h, ...IV];
    v[12] ^= this.#total & MASK;
    v[13] ^= this.#total >> 64n;
    if (last) v[14] ^= MASK;
    const g = (a: number, b: number, c: number, d: number, x: bigint, y: bigint) => {
      v[a] = (v[a] + v[b] + x) & MASK;
      v[d] = rotr(v[d] ^ v[a], 32n);
      v[c] = (v[c] + v[d]) & MASK;
      v[b] = rotr(v[b] ^ v[c], 24n);
      v[a] = (v[a] + v[b] + y) & MASK;
      v[d] = rotr(v[d] ^ v[a], 16n);
      v[c] = (v[c] + v[d]) & MASK;
      v[b] = rotr(v[b] ^ v[c], 63n);
    };
    for (let r = 0; r < 12; r++) {
      const s = SIGMA[r % 10];
      g(0, 4, 8, 12, m[s[0]], m[s[1]]);
      g(1, 5, 9, 13, m[s[2]], m[s[3]]);
      g(2, 6, 10, 14, m[s[4]], m[s[5]]);
      g(3, 7, 11, 15, m[s[6]], m[s[7]]);
      g(0, 5, 10, 15, m[s[8]], m[s[9]]);
      g(1, 6, 11, 12, m[s[10]], m[s[11]]);
      g(2, 7, 8, 13, m[s[12]], m[s[13]]);
      g(3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (let i = 0; i < 8; i++) this.#h[i] ^= v[i] ^ v[i + 8];
  }
}

/** One-shot BLAKE2b of `data` with a digest of `outputLength` bytes (default 64). */
export function blake2b(data: Uint8Array, outputLength = 64): Uint8Array {
  return new Blake2b(outputLength).update(data).digest();
}
