import type { ModuleLogger } from "../log/logger.ts";
import { git, type GitAuth } from "./git.ts";
import { lfsFetchRef } from "./lfs.ts";

/** An LFS pointer found in the history: the blob holding it and the object it names. */
export interface LfsPointer {
  /** Object id of the pointer blob. */
  blob: string;
  /** sha256 of the LFS object. */
  oid: string;
  size: number;
}

/** Pointer files are small: git-lfs never reads blobs over 1024 bytes as pointers. */
const MAX_POINTER_BYTES = 1024;
const POINTER = /^version https:\/\/git-lfs\.github\.com\/spec\/v1\noid sha256:([0-9a-f]{64})\nsize (\d+)\n/;

/**
 * The LFS pointers among the blobs reachable from `tips` but not from `exclude` (`git rev-list
 * --objects`), so an incremental archive looks only at what is new since its base. Blobs are read
 * only when small enough to be a pointer.
 */
export async function lfsPointersIn(
  gitDir: string,
  range: { tips: string[]; exclude: string[] },
  options: { logger?: ModuleLogger } = {},
): Promise<LfsPointer[]> {
  if (range.tips.length === 0) return [];
  const input = [...new Set(range.tips)].join("\n") + "\n" + range.exclude.map((e) => `^${e}\n`).join("");
  const listed = await git(["rev-list", "--objects", "--no-object-names", "--stdin"], {
    cwd: gitDir,
    input,
    logger: options.logger,
  });
  const oids = listed.stdout.split("\n").filter((l) => /^[0-9a-f]{40,64}$/.test(l));
  if (oids.length === 0) return [];
  const checked = await git(["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"], {
    cwd: gitDir,
    input: oids.join("\n") + "\n",
    logger: options.logger,
  });
  const small = checked.stdout.split("\n").map((l) => l.split(" ")).filter((p) =>
    p[1] === "blob" && Number(p[2]) <= MAX_POINTER_BYTES
  ).map((p) => p[0]);
  if (small.length === 0) return [];
  const read = await git(["cat-file", "--batch"], {
    cwd: gitDir,
    input: small.join("\n") + "\n",
    logger: options.logger,
  });
  return parseBatch(read.stdout);
}

function parseBatch(out: string): LfsPointer[] {
  const found = new Map<string, LfsPointer>();
  let at = 0;
  while (at < out.length) {
    const nl = out.indexOf("\n", at);
    if (nl < 0) break;
    const [blob, , size] = out.slice(at, nl).split(" ");
    const len = Number(size);
    if (!Number.isSafeInteger(len)) break;
    const body = out.slice(nl + 1, nl + 1 + len);
    at = nl + 1 + len + 1;
    const m = body.match(POINTER);
    if (m && !found.has(m[1])) found.set(m[1], { blob, oid: m[1], size: Number(m[2]) });
  }
  return [...found.values()];
}

/**
 * Downloads exactly the LFS objects of `pointers` from `remote` into the repository's LFS store, with
 * git-lfs's own transfer (batch API, credentials from the environment): a parentless commit whose
 * tree holds the pointer blobs is written (never referenced, so never bundled) and `git lfs fetch
 * <remote> <commit>` fetches the objects of that tree.
 */
export async function lfsFetchPointers(
  gitDir: string,
  remote: string,
  pointers: LfsPointer[],
  options: { auth?: GitAuth; logger?: ModuleLogger; signal?: AbortSignal } = {},
): Promise<void> {
  if (pointers.length === 0) return;
  const tree = await git(["mktree"], {
    cwd: gitDir,
    input: pointers.map((p) => `100644 blob ${p.blob}\t${p.oid}.bin\n`).join(""),
    logger: options.logger,
  });
  const commit = await git(["commit-tree", tree.stdout.trim(), "-m", "repo-cloner: LFS objects to fetch"], {
    cwd: gitDir,
    env: {
      GIT_AUTHOR_NAME: "repo-cloner",
      GIT_AUTHOR_EMAIL: "repo-cloner@localhost",
      GIT_COMMITTER_NAME: "repo-cloner",
      GIT_COMMITTER_EMAIL: "repo-cloner@localhost",
    },
    logger: options.logger,
  });
  await lfsFetchRef(gitDir, remote, commit.stdout.trim(), options);
}
