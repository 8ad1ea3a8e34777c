/** `git cat-file --batch` as a stream of objects (trees and other small objects: each is held whole). */
import { killTree } from "../children.ts";
import { GitError, spawnGit } from "../git/git.ts";
import type { ModuleLogger } from "../log/logger.ts";

/** One object as `git cat-file --batch` printed it. */
export interface BatchObject {
  oid: string;
  type: string;
  size: number;
  /** The object's bytes. */
  content: Buffer;
}

/** Options of {@link catFileBatch}. */
export interface CatFileBatchOptions {
  logger?: ModuleLogger;
  signal?: AbortSignal;
}

/**
 * Runs `git cat-file --batch` over `oids` in the repository `gitDir` and calls `onObject` for each
 * object as soon as its bytes have arrived, in input order; an object git reports missing is skipped.
 * Meant for small objects (trees): each is held whole until `onObject` returns.
 * @throws GitError when git fails; whatever `onObject` throws (git is then stopped).
 */
export function catFileBatch(
  gitDir: string,
  oids: string[],
  onObject: (object: BatchObject) => void,
  options: CatFileBatchOptions = {},
): Promise<void> {
  if (!oids.length) return Promise.resolve();
  const args = ["cat-file", "--batch"];
  const child = spawnGit(args, { cwd: gitDir, logger: options.logger, signal: options.signal, input: "" });
  return new Promise((resolve, reject) => {
    let failed: unknown;
    const stderr: string[] = [];
    let headerParts: Buffer[] = [];
    let current: { oid: string; type: string; size: number; left: number; parts: Buffer[] } | null = null;
    let newlineDue = false;
    const stop = (e: unknown) => {
      failed ??= e;
      killTree(child);
    };
    const parse = (chunk: Buffer) => {
      let i = 0;
      while (i < chunk.length) {
        if (newlineDue) {
          newlineDue = false;
          i++; // the LF git prints after every object's content
          continue;
        }
        if (!current) {
          const nl = chunk.indexOf(10, i);
          if (nl < 0) {
            headerParts.push(chunk.subarray(i));
            return;
          }
          const line = Buffer.concat([...headerParts, chunk.subarray(i, nl)]).toString("latin1");
          headerParts = [];
          i = nl + 1;
          const m = /^([0-9a-f]{40,64}) (\S+) (\d+)$/.exec(line);
          if (!m) {
            if (/ missing$/.test(line)) continue;
            throw new GitError("git cat-file --batch", 0, `unexpected header "${line.slice(0, 200)}"`);
          }
          const size = Number(m[3]);
          current = { oid: m[1], type: m[2], size, left: size, parts: [] };
        }
        const take = Math.min(current.left, chunk.length - i);
        if (take > 0) current.parts.push(chunk.subarray(i, i + take));
        current.left -= take;
        i += take;
        if (current.left === 0) {
          const { oid, type, size, parts } = current;
          current = null;
          newlineDue = true;
          onObject({ oid, type, size, content: parts.length === 1 ? parts[0] : Buffer.concat(parts) });
        }
      }
    };
    child.stdout!.on("data", (chunk: Buffer) => {
      if (failed) return;
      try {
        parse(chunk);
      } catch (e) {
        stop(e);
      }
    });
    child.stderr!.on("data", (d: Buffer) => {
      if (stderr.join("").length < 4096) stderr.push(d.toString("utf8"));
    });
    child.stdin!.on("error", () => {}); // EPIPE when git dies first: its exit code tells.
    child.stdin!.end(oids.join("\n") + "\n");
    child.on("error", (e) => reject(e));
    child.on("close", (code) => {
      if (failed) return reject(failed);
      if (options.signal?.aborted) return reject(options.signal.reason ?? new Error("aborted"));
      if (code !== 0) return reject(new GitError("git cat-file --batch", code ?? 1, stderr.join("")));
      if (current) return reject(new GitError("git cat-file --batch", 0, "output ended inside an object"));
      resolve();
    });
  });
}
