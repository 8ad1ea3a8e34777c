/**
 * Deterministic pseudo-random test data of any size, generated as a stream (AES-128-CTR over zeros):
 * incompressible, reproducible from a seed, never held in memory whole.
 */
import { createCipheriv, createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

const CHUNK = 1024 * 1024;

/** A stream of `size` pseudo-random bytes derived from `seed`. */
export function randomStream(size: number, seed = "seed"): Readable {
  const key = createHash("sha256").update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(CHUNK, left);
      left -= n;
      this.push(cipher.update(zeros.subarray(0, n)));
    },
  });
}

/** sha256 (hex) of {@link randomStream}`(size, seed)`, computed by streaming it. */
export async function randomSha256(size: number, seed = "seed"): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of randomStream(size, seed)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Writes {@link randomStream}`(size, seed)` to `path` and returns its sha256. */
export async function writeRandomFile(path: string, size: number, seed = "seed"): Promise<string> {
  const hash = createHash("sha256");
  const source = randomStream(size, seed);
  source.on("data", (c: Buffer) => hash.update(c));
  await pipeline(source, createWriteStream(path));
  return hash.digest("hex");
}
