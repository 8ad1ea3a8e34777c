/**
 * Seeded pseudo-random numbers for the benchmark generator: xoshiro128** seeded through splitmix32.
 * Same seed, same sequence, on every machine — the benchmark repository is reproducible bit for bit.
 */
export class Prng {
  #s = new Uint32Array(4);

  /** Seeds the generator from any number of 32-bit integers (e.g. seed, stream id, index). */
  constructor(...seeds: number[]) {
    let x = 0x9e3779b9;
    for (const s of seeds) x = Math.imul(x ^ (s >>> 0), 0x85ebca6b) ^ 0x27d4eb2f;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.#s[0] | this.#s[1] | this.#s[2] | this.#s[3]) === 0) this.#s[0] = 1;
  }

  /** Next unsigned 32-bit integer. */
  next(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi] inclusive. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Fills `out` with random bytes (incompressible data) and returns it. */
  fill(out: Uint8Array): Uint8Array {
    const words = Math.floor(out.byteLength / 4);
    const aligned = out.byteOffset % 4 === 0;
    if (aligned) {
      const view = new Uint32Array(out.buffer, out.byteOffset, words);
      for (let i = 0; i < words; i++) view[i] = this.next();
    } else {
      for (let i = 0; i < words * 4; i += 4) {
        const v = this.next();
        out[i] = v & 0xff;
        out[i + 1] = (v >>> 8) & 0xff;
        out[i + 2] = (v >>> 16) & 0xff;
        out[i + 3] = v >>> 24;
      }
    }
    for (let i = words * 4; i < out.byteLength; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
