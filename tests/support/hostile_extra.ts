/**
 * More hostile archives (issue 9's corpus): traversal in every spelling, absolute pax paths, links
 * inside and symlink-then-file, GNU long links, Unicode-colliding names, pax/header size disagreement,
 * negative sizes, a full archive whose bundle needs commits it lacks, a repository whose `.gitmodules`
 * fails fsck — and, built on demand because it takes seconds, a gzip bomb inflating to 2 GiB.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createGzip, gzipSync } from "node:zlib";
import { tempDir } from "./binary.ts";
import { type ArchiveParts, git, gitEnv, manifestText, refreshHashes } from "./make_archive.ts";
import { concat, END_OF_ARCHIVE, rawFile, rawHeader, rawPax } from "./raw_tar.ts";
import type { HostileCase } from "./hostile_archives.ts";
import { clone, entry, rawTar } from "./hostile_tar.ts";

const enc = new TextEncoder();

/** A throwaway repository: `script` runs in it (sh), then its bundle of `bundleArgs` and refs are read. */
function repoBundle(script: string, bundleArgs: string[]): {
  bundle: Uint8Array;
  refs: Record<string, string>;
  head: string;
  prerequisites: string[];
} {
  const root = tempDir("rc-hostile-repo-");
  const env = gitEnv(root);
  const repo = join(root, "repo");
  execFileSync("sh", ["-c", `git init -q -b main repo && cd repo && ${script}`], { cwd: root, env });
  const file = join(root, "repo.bundle");
  execFileSync("git", ["bundle", "create", "-q", file, ...bundleArgs], { cwd: repo, env });
  const bundle = readFileSync(file);
  const header = new TextDecoder().decode(bundle.subarray(0, bundle.indexOf("\n\n")));
  const refs: Record<string, string> = {};
  const prerequisites: string[] = [];
  for (const line of header.split("\n").slice(1)) {
    if (line.startsWith("-")) prerequisites.push(line.slice(1, 41));
    else if (/^[0-9a-f]{40} refs\//.test(line)) refs[line.slice(41)] = line.slice(0, 40);
  }
  return { bundle, refs, head: git(repo, ["rev-parse", "HEAD"], env).trim(), prerequisites };
}

/** `base` with its bundle replaced by `b` (manifest refs, head and prerequisites to match, re-hashed). */
function withBundle(base: ArchiveParts, b: ReturnType<typeof repoBundle>): ArchiveParts {
  const p = clone(base);
  p.entries.find((e) => e.path === "repo.bundle")!.content = b.bundle;
  p.manifest.refs = b.refs;
  p.manifest.source.head = b.head;
  p.manifest.source.default_branch = "main";
  p.manifest.bundle.prerequisites = b.prerequisites;
  refreshHashes(p);
  return p;
}

/** The extra cases, built from the same sample as the others. */
export function extraHostileCases(
  base: ArchiveParts,
  _from: { valid: Uint8Array; tar: Uint8Array },
): HostileCase[] {
  const cases: HostileCase[] = [];
  const add = (c: Omit<HostileCase, "code"> & { code?: 2 | 3 }) => cases.push({ code: 3, ...c });
  const before = (...blocks: Uint8Array[]) => gzipSync(rawTar(base, { before: blocks }));
  const unsafe = (why: string) => new RegExp(`has an unsafe path: ${why}`);

  // Traversal in every spelling (plain ustar names, the ustar prefix field, pax paths).
  add({
    name: "dot-dot-middle",
    attack: "a path climbing out through a real directory (lfs/../../x)",
    bytes: before(rawFile("lfs/../../escape.txt", "x")),
    message: unsafe('"\\.\\." path segment'),
  });
  add({
    name: "dot-slash-dot-dot",
    attack: "a ./../ path",
    bytes: before(rawFile("./../escape.txt", "x")),
    message: unsafe('"\\." path segment'),
  });
  add({
    name: "trailing-dot-dot",
    attack: "a path ending in /.. (a directory's parent)",
    bytes: before(rawHeader({ name: "lfs/..", type: "5" })),
    message: unsafe('"\\.\\." path segment'),
  });
  add({
    name: "backslash-traversal",
    attack: "Windows separators (..\\..\\x) that Windows extractors follow",
    bytes: before(rawFile("..\\..\\escape.txt", "x")),
    message: unsafe("backslash in path"),
  });
  add({
    name: "drive-letter",
    attack: "a Windows drive path (C:/...)",
    bytes: before(rawFile("C:/Windows/evil.txt", "x")),
    message: unsafe("drive-letter path"),
  });
  add({
    name: "ustar-prefix-traversal",
    attack: "the climb hidden in the ustar prefix field (prefix ../.. + name)",
    bytes: before(rawHeader({ name: "escape.txt", prefix: "../..", size: 0 })),
    message: unsafe('"\\.\\." path segment'),
  });
  add({
    name: "pax-absolute-path",
    attack: "a pax path that is absolute (/etc/cron.d/evil)",
    bytes: before(rawPax([["path", "/etc/cron.d/evil"]]), rawFile("innocent", "x")),
    message: unsafe("absolute path"),
  });
  add({
    name: "double-slash-path",
    attack: "an empty segment (lfs//x), which some extractors collapse",
    bytes: before(rawFile("lfs//x", "x")),
    message: unsafe("empty path segment"),
  });

  // Links.
  add({
    name: "symlink-then-file",
    attack: "a symlink named like a directory, then files written through it",
    bytes: gzipSync(
      rawTar(base, { before: [rawHeader({ name: "dependencies", type: "2", linkname: "/tmp" })] }),
    ),
    message: /entry "dependencies" is a symbolic link to "\/tmp"/,
  });
  add({
    name: "hardlink-inside",
    attack: "a hard link to another entry (aliasing one file under two names)",
    bytes: before(rawHeader({ name: "copy.bundle", type: "1", linkname: "repo.bundle" })),
    message: /entry "copy\.bundle" is a hard link to "repo\.bundle"/,
  });
  add({
    name: "gnu-long-link",
    attack: "a GNU long link-name header",
    bytes: before(rawHeader({ name: "././@LongLink", type: "K", size: 0, magic: "gnu" })),
    message: /GNU/,
  });

  // Names that collide after Unicode normalisation (macOS and Windows store them as one file).
  {
    const p = clone(base);
    const nfc = "restore-scripts/caf\u00e9.txt";
    p.entries.push({ path: nfc, content: enc.encode("listed\n") });
    refreshHashes(p);
    add({
      name: "unicode-nfd-collision",
      attack: "a decomposed (NFD) twin of a listed NFC name",
      bytes: gzipSync(rawTar(p, { after: [rawFile("restore-scripts/cafe\u0301.txt", "twin\n")] })),
      message: /entry "restore-scripts\/cafe\u0301\.txt" collides with "restore-scripts\/caf\u00e9\.txt"/,
    });
  }

  // Size claims.
  {
    const bundle = entry(base, "repo.bundle");
    const blocks = concat(
      rawFile("manifest.json", manifestText(base.manifest)),
      rawPax([["size", String(bundle.content.length - 512)]]),
      rawFile("repo.bundle", bundle.content),
      END_OF_ARCHIVE,
    );
    add({
      name: "pax-size-disagrees",
      attack: "a pax size that disagrees with the ustar size (two readers see two archives)",
      bytes: gzipSync(blocks),
      message: /entry "repo\.bundle" has a pax size \(\d+\) that disagrees with its header size \(\d+\)/,
    });
    const negative = new Uint8Array(12).fill(0xff);
    add({
      name: "negative-size",
      attack: "a base-256 negative size",
      bytes: gzipSync(
        concat(
          rawFile("manifest.json", manifestText(base.manifest)),
          rawHeader({ name: "repo.bundle", sizeField: negative }),
          END_OF_ARCHIVE,
        ),
      ),
      message: /tar header of "repo\.bundle" has a malformed numeric field/,
    });
  }

  // Consistent archives whose git content is the attack: only restore (git) can tell.
  {
    const b = repoBundle(
      "echo 1 > a && git add a && git commit -qm one && echo 2 > a && git commit -qam two",
      ["main", "^main~1"],
    );
    add({
      name: "bundle-missing-prerequisites",
      attack: "a full archive whose bundle needs a commit it does not carry",
      bytes: gzipSync(rawTar(withBundle(base, b))),
      message: /prerequisite/,
      verifies: true,
      restore: {
        code: 3,
        message: /the bundle needs commits the repository does not have \(prerequisite [0-9a-f]{40}\)/,
      },
    });
  }
  {
    const b = repoBundle(
      `printf '[submodule "x"]\\n\\tpath = ../../escape\\n\\turl = -oProxyCommand=touch%%20/tmp/rc-pwned\\n' > .gitmodules && git add .gitmodules && git commit -qm evil`,
      ["--all"],
    );
    add({
      name: "gitmodules-fsck",
      attack: "a repository whose .gitmodules has a climbing path and an option-like URL",
      bytes: gzipSync(rawTar(withBundle(base, b))),
      message: /gitmodules/,
      verifies: true,
      restore: { code: 3, message: /gitmodules(Url|Path)/ },
    });
  }
  return cases;
}

/**
 * A gzip bomb: the sample's valid tar followed by 2 GiB of zero blocks, about 2 MB compressed. Takes a
 * few seconds, so it is built on demand (by scripts/build_hostile_fixtures.ts and one test).
 */
export async function gzipBomb2GiB(base: ArchiveParts, file: string): Promise<HostileCase> {
  const gz = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gz.on("data", (d: Buffer) => chunks.push(d));
  const ended = new Promise((r) => gz.on("end", r));
  gz.write(rawTar(base));
  const zero = Buffer.alloc(1 << 20);
  for (let i = 0; i < 2048; i++) if (!gz.write(zero)) await new Promise((r) => gz.once("drain", r));
  gz.end();
  await ended;
  const bytes = Buffer.concat(chunks);
  writeFileSync(file, bytes);
  return {
    name: "gzip-bomb-2gib",
    attack: "2 MB that inflate to 2 GiB of zeros after the entries",
    bytes: new Uint8Array(bytes),
    code: 3,
    message: /more than its manifest accounts for \(gzip bomb/,
  };
}
