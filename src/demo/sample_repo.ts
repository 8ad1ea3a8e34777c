import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { git, type GitOptions } from "../git/git.ts";
import type { ModuleLogger } from "../log/logger.ts";

/** What {@link buildSampleRepository} made. */
export interface SampleRepository {
  dir: string;
  branches: string[];
  tags: string[];
  /** Path and sha256 of the LFS-tracked file, when git-lfs was available. */
  lfsFile?: { path: string; sha256: string };
}

/** Options of {@link buildSampleRepository}. */
export interface SampleOptions {
  /** Track a binary with Git LFS. Default true (callers pass false when git-lfs is missing). */
  lfs?: boolean;
  logger?: ModuleLogger;
}

const IDENTITY: Record<string, string> = {
  GIT_AUTHOR_NAME: "Demo Author",
  GIT_AUTHOR_EMAIL: "demo@example.invalid",
  GIT_COMMITTER_NAME: "Demo Author",
  GIT_COMMITTER_EMAIL: "demo@example.invalid",
  GIT_AUTHOR_DATE: "2025-10-13T14:00:00Z",
  GIT_COMMITTER_DATE: "2025-10-13T14:00:00Z",
};
const LFS_FILTER: ReadonlyArray<readonly [string, string]> = [
  ["filter.lfs.clean", "git-lfs clean -- %f"],
  ["filter.lfs.smudge", "git-lfs smudge -- %f"],
  ["filter.lfs.process", "git-lfs filter-process"],
  ["filter.lfs.required", "true"],
];

/**
 * Builds a small sample repository in `dir` with real git, offline and independent of the user's git
 * config: branches `main`, `develop` and `feature/ünïcødé`, an annotated and a lightweight tag, and a
 * generated binary tracked with Git LFS (when `lfs`). No dependency manifests, so no network is needed.
 */
export async function buildSampleRepository(
  dir: string,
  options: SampleOptions = {},
): Promise<SampleRepository> {
  const lfs = options.lfs ?? true;
  mkdirSync(dir, { recursive: true });
  const opts: GitOptions = { cwd: dir, env: IDENTITY, logger: options.logger, config: lfs ? LFS_FILTER : [] };
  const run = (args: string[]) => git(args, opts);
  await run(["init", "--quiet", "--initial-branch=main"]);
  writeFileSync(join(dir, "README.md"), "# sample-app\n\nA repository built by `repo-cloner demo`.\n");
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src", "app.sh"), '#!/bin/sh\necho "hello from the far side of the air gap"\n');
  let lfsFile: SampleRepository["lfsFile"];
  if (lfs) {
    writeFileSync(join(dir, ".gitattributes"), "*.bin filter=lfs diff=lfs merge=lfs -text\n");
    mkdirSync(join(dir, "assets"));
    const content = deterministicBytes(256 * 1024);
    writeFileSync(join(dir, "assets", "model.bin"), content);
    lfsFile = { path: "assets/model.bin", sha256: createHash("sha256").update(content).digest("hex") };
  }
  await run(["add", "--all"]);
  await run(["commit", "--quiet", "-m", "Initial import"]);
  await run(["tag", "-a", "v1.0.0", "-m", "Release 1.0.0"]);
  await run(["checkout", "--quiet", "-b", "develop"]);
  writeFileSync(join(dir, "CHANGELOG.md"), "## Unreleased\n- work in progress\n");
  await run(["add", "CHANGELOG.md"]);
  await run(["commit", "--quiet", "-m", "Start the changelog"]);
  await run(["tag", "nightly"]);
  await run(["checkout", "--quiet", "-b", "feature/ünïcødé", "main"]);
  writeFileSync(join(dir, "NOTES.md"), "Branch names need not be ASCII.\n");
  await run(["add", "NOTES.md"]);
  await run(["commit", "--quiet", "-m", "Notes on a non-ASCII branch"]);
  await run(["checkout", "--quiet", "main"]);
  return { dir, branches: ["develop", "feature/ünïcødé", "main"], tags: ["nightly", "v1.0.0"], lfsFile };
}

/** Reproducible pseudo-random bytes (a binary that does not compress away). */
function deterministicBytes(n: number): Buffer {
  const out = Buffer.alloc(n);
  let block = createHash("sha256").update("repo-cloner demo").digest();
  for (let i = 0; i < n; i += block.length) {
    block.copy(out, i);
    block = createHash("sha256").update(block).digest();
  }
  return out;
}
