/**
 * Builds the fixture repository the archive tests work on, with real git and git-lfs: branches
 * `main`, `develop`, `release/1.0` and `feature/ünïcødé`, annotated and lightweight tags, an
 * LFS-tracked binary, and (optionally) a generated file over 50 MB. Nothing is downloaded or
 * committed to this project: the content is generated on the fly.
 */
import { createHash, randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { git, type GitOptions } from "../../src/git/git.ts";

/** Identity and filter config for committing in fixtures (through the environment, like all git calls). */
export const FIXTURE_GIT: GitOptions = {
  env: {
    GIT_AUTHOR_NAME: "Fixture Author",
    GIT_AUTHOR_EMAIL: "author@example.test",
    GIT_COMMITTER_NAME: "Fixture Committer",
    GIT_COMMITTER_EMAIL: "committer@example.test",
    GIT_AUTHOR_DATE: "2025-01-02T03:04:05Z",
    GIT_COMMITTER_DATE: "2025-01-02T03:04:05Z",
  },
  config: [
    ["filter.lfs.clean", "git-lfs clean -- %f"],
    ["filter.lfs.smudge", "git-lfs smudge -- %f"],
    ["filter.lfs.process", "git-lfs filter-process"],
    ["filter.lfs.required", "true"],
    ["user.useConfigOnly", "false"],
  ],
};

/** A built fixture. */
export interface FixtureRepo {
  /** Working repository (non-bare) with its LFS objects in `.git/lfs/objects`. */
  dir: string;
  branches: string[];
  /** Path (in the tree) and content sha256 of the LFS-tracked binary. */
  lfsPath: string;
  lfsOid: string;
  /** Path and size of the big file, when one was made. */
  bigPath?: string;
  bigSize?: number;
}

/** Options of {@link buildFixtureRepo}. */
export interface FixtureOptions {
  /** Size of `data/big.dat` in bytes; 0 for none. Default 0. */
  bigFileBytes?: number;
  /** Size of the LFS binary. Default 300 KiB. */
  lfsBytes?: number;
}

/** Builds the fixture repository in `<parent>/<name>`. */
export async function buildFixtureRepo(
  parent: string,
  name: string,
  options: FixtureOptions = {},
): Promise<FixtureRepo> {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  const run = (args: string[]) => git(args, { ...FIXTURE_GIT, cwd: dir });
  await run(["init", "-q", "-b", "main"]);
  writeFileSync(join(dir, "README.md"), `# ${name}\n\nFixture repository for repo-cloner tests.\n`);
  writeFileSync(join(dir, ".gitattributes"), "*.bin filter=lfs diff=lfs merge=lfs -text\n");
  mkdirSync(join(dir, "assets"));
  const lfsContent = randomBytes(options.lfsBytes ?? 300 * 1024);
  const lfsPath = "assets/logo.bin";
  writeFileSync(join(dir, lfsPath), lfsContent);
  await run(["add", "-A"]);
  await run(["commit", "-q", "-m", "Initial commit with an LFS binary"]);
  await run(["tag", "-a", "v1.0.0", "-m", "Release 1.0.0"]);

  let bigPath: string | undefined;
  if (options.bigFileBytes) {
    mkdirSync(join(dir, "data"));
    bigPath = "data/big.dat";
    writeRandomFile(join(dir, bigPath), options.bigFileBytes);
    await run(["add", bigPath]);
    await run(["commit", "-q", "-m", "Add a big generated file"]);
  }
  await run(["tag", "v1.0.1"]);

  await run(["checkout", "-q", "-b", "develop"]);
  writeFileSync(join(dir, "develop.txt"), "work in progress\n");
  await run(["add", "develop.txt"]);
  await run(["commit", "-q", "-m", "Develop work"]);
  await run(["tag", "-a", "nightly", "-m", "Nightly build"]);

  await run(["checkout", "-q", "-b", "feature/ünïcødé", "main"]);
  writeFileSync(join(dir, "ünïcødé.txt"), "non-ASCII branch and file name\n");
  writeFileSync(join(dir, "assets", "second.bin"), randomBytes(64 * 1024));
  await run(["add", "-A"]);
  await run(["commit", "-q", "-m", "Feature with a non-ASCII name and a second LFS object"]);

  await run(["checkout", "-q", "-b", "release/1.0", "main"]);
  writeFileSync(join(dir, "CHANGELOG.md"), "## 1.0\n- first release\n");
  await run(["add", "CHANGELOG.md"]);
  await run(["commit", "-q", "-m", "Changelog"]);
  await run(["tag", "release-candidate"]);
  await run(["checkout", "-q", "main"]);
  return {
    dir,
    branches: ["develop", "feature/ünïcødé", "main", "release/1.0"],
    lfsPath,
    lfsOid: createHash("sha256").update(lfsContent).digest("hex"),
    bigPath,
    bigSize: options.bigFileBytes || undefined,
  };
}

/** Writes `bytes` random bytes to `file` in 1 MiB chunks (incompressible, like real binaries). */
export function writeRandomFile(file: string, bytes: number): void {
  const fd = openSync(file, "w");
  try {
    let left = bytes;
    while (left > 0) {
      const chunk = randomBytes(Math.min(left, 1 << 20));
      writeSync(fd, chunk);
      left -= chunk.length;
    }
  } finally {
    closeSync(fd);
  }
}

/** `git for-each-ref` of branches and tags as text: `<id> <type> <refname>` lines, sorted. */
export async function forEachRef(gitDir: string): Promise<string> {
  const r = await git([
    "for-each-ref",
    "--format=%(objectname) %(objecttype) %(refname)",
    "refs/heads",
    "refs/tags",
  ], {
    cwd: gitDir,
  });
  return r.stdout;
}
