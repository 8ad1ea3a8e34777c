import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** BLAKE2b-512 of a file, read once as a stream (minisign's prehash for `ED` signatures). */
export async function blake2b512File(path: string): Promise<Uint8Array> {
  const hash = createHash("blake2b512");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return new Uint8Array(hash.digest());
}
