import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { git } from "../git/git.ts";
import type { ModuleLogger } from "../log/logger.ts";

/** Options of the tree readers: the logger for git's debug lines. */
export interface TreeOptions {
  logger?: ModuleLogger;
  /** Tree-ish to read. Default "HEAD" (the default branch of a mirror clone). */
  rev?: string;
}

/**
 * Lists every regular file path in the default branch's tree of the (bare) repository `gitDir`.
 * Symlinks and submodules are left out: nothing they point to is read. Returns [] for an empty
 * repository (no HEAD commit).
 */
export async function listTree(gitDir: string, options: TreeOptions = {}): Promise<string[]> {
  const rev = options.rev ?? "HEAD";
  const head = await git(["rev-parse", "--verify", "--quiet", `${rev}^{tree}`], {
    cwd: gitDir,
    okCodes: [1, 128],
    logger: options.logger,
  });
  if (head.code !== 0) return [];
  const r = await git(["ls-tree", "-r", "-z", "--full-tree", rev], { cwd: gitDir, logger: options.logger });
  const paths: string[] = [];
  for (const rec of r.stdout.split("\0")) {
    const tab = rec.indexOf("\t");
    if (tab < 0) continue;
    const [mode, type] = rec.slice(0, tab).split(" ");
    if (type === "blob" && (mode === "100644" || mode === "100755")) paths.push(rec.slice(tab + 1));
  }
  return paths;
}

/** Reads one file of the default branch's tree as UTF-8 text. */
export async function readTreeFile(gitDir: string, path: string, options: TreeOptions = {}): Promise<string> {
  const r = await git(["cat-file", "blob", `${options.rev ?? "HEAD"}:${path}`], {
    cwd: gitDir,
    logger: options.logger,
  });
  return r.stdout;
}

/**
 * Writes the listed files of the default branch's tree under `destDir`, at the same relative paths
 * (they come from git's tree, which never holds `..` or absolute paths).
 */
export async function materialise(
  gitDir: string,
  destDir: string,
  options: TreeOptions & { paths: string[] },
): Promise<void> {
  for (const p of options.paths) {
    if (p.startsWith("/") || p.split("/").includes("..")) continue;
    const target = join(destDir, p);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, await readTreeFile(gitDir, p, options));
  }
}
