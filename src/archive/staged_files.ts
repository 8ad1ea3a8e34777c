import { createHash } from "node:crypto";
import { createReadStream, lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ArchiveError } from "../errors.ts";
import { compareBytes } from "../git/refs.ts";

/** A file found under the staging directory, with its archive path. */
export interface StagedFile {
  /** Path inside the archive (`/`-separated, relative). */
  path: string;
  /** Absolute path on disk. */
  file: string;
  size: number;
}

/**
 * Every regular file under `stageDir` (recursively), archive paths in byte order, skipping the
 * top-level names in `skip`. Anything that is not a regular file or directory (a symlink left by a
 * dependency tool, a FIFO) is refused, so the archive holds only what the manifest can describe.
 * @throws ArchiveError for a non-regular file.
 */
export function listStagedFiles(stageDir: string, skip: ReadonlySet<string> = new Set()): StagedFile[] {
  const out: StagedFile[] = [];
  const walk = (dir: string, prefix: string, depth: number) => {
    if (depth > 64) throw new ArchiveError(`Cannot archive "${prefix}": directories nested too deep`);
    for (const name of readdirSync(dir)) {
      const path = prefix ? `${prefix}/${name}` : name;
      if (!prefix && skip.has(name)) continue;
      const file = join(dir, name);
      const st = lstatSync(file);
      if (st.isDirectory()) walk(file, path, depth + 1);
      else if (st.isFile()) out.push({ path, file, size: st.size });
      else {
        throw new ArchiveError(
          `Cannot archive "${path}": it is not a regular file (symlink or special file). Only regular files are carried`,
        );
      }
    }
  };
  walk(stageDir, "", 0);
  return out.sort((a, b) => compareBytes(a.path, b.path));
}

/** sha256 of a file, streamed (never read whole into memory). */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
  }
  return hash.digest("hex");
}
