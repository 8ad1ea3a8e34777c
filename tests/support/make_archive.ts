/**
 * An independent writer of archive format v1 for tests (docs/ARCHIVE-FORMAT.md): a real git repository
 * (branches, a non-ASCII branch, annotated and lightweight tags, a Git LFS file) -> real
 * `git bundle create --all`, real LFS objects, dependency and restore-script files, a manifest per the
 * schema, packed with tar-stream and gzip. Hostile variants start from {@link sampleParts}.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import tarStream from "tar-stream";
import { lfsEntryPath, type Manifest } from "../../src/archive/manifest.ts";
import { SEAL_PLACEHOLDER, sealManifest } from "../../src/archive/manifest_check.ts";
import { tempDir } from "./binary.ts";

/** One archive entry other than manifest.json, in archive order. */
export interface PartEntry {
  path: string;
  content: Uint8Array;
}

/** The pieces of an archive before packing: edit them to build hostile variants. */
export interface ArchiveParts {
  manifest: Manifest;
  entries: PartEntry[];
  /** The repository the bundle came from. */
  repo: string;
}

/** Options of {@link sampleParts}. */
export interface SampleOptions {
  /** Include an LFS-tracked file. Default true. */
  lfs?: boolean;
  /** Include fake dependency files (python, nodejs). Default true. */
  dependencies?: boolean;
  /** Repository object format. Default sha1. */
  objectFormat?: "sha1" | "sha256";
  /** Bundle version passed to git bundle create. Default: git's (2 for sha1). */
  bundleVersion?: 2 | 3;
  /** Size of a random (incompressible) file committed to the repository. Default 20,000 bytes. */
  blobBytes?: number;
}

/** Environment for test git: no user or system config, fixed identity. */
export function gitEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "Test",
    GIT_AUTHOR_EMAIL: "test@example.invalid",
    GIT_COMMITTER_NAME: "Test",
    GIT_COMMITTER_EMAIL: "test@example.invalid",
    GIT_TERMINAL_PROMPT: "0",
  };
}

/** Runs git in `cwd` and returns stdout. */
export function git(cwd: string, args: string[], env: Record<string, string>): string {
  return execFileSync("git", args, { cwd, env, encoding: "utf8", maxBuffer: 1 << 30 });
}

/** Builds a real repository and the parts of a valid archive of it. */
export function sampleParts(options: SampleOptions = {}): ArchiveParts {
  const root = tempDir("rc-mkarchive-");
  const env = gitEnv(root);
  const repo = join(root, "repo");
  mkdirSync(repo);
  const format = options.objectFormat ?? "sha1";
  git(repo, ["init", "-q", "-b", "main", `--object-format=${format}`], env);
  writeFileSync(join(repo, "README.md"), "# sample\n");
  writeFileSync(join(repo, "data.bin"), randomBytes(options.blobBytes ?? 20_000));
  git(repo, ["add", "."], env);
  git(repo, ["commit", "-q", "-m", "first"], env);
  git(repo, ["tag", "-a", "v1.0", "-m", "release 1.0"], env);
  git(repo, ["branch", "feature/ü-naïve"], env);
  git(repo, ["branch", "develop"], env);
  const lfsObjects: { oid: string; size: number; content: Uint8Array }[] = [];
  if (options.lfs ?? true) {
    git(repo, ["lfs", "install", "--local"], env);
    git(repo, ["lfs", "track", "*.psd"], env);
    writeFileSync(join(repo, "art.psd"), randomBytes(5000));
    git(repo, ["add", ".gitattributes", "art.psd"], env);
    git(repo, ["commit", "-q", "-m", "lfs art"], env);
    const store = join(repo, ".git", "lfs", "objects");
    for (const a of readdirSync(store)) {
      for (const b of readdirSync(join(store, a))) {
        for (const oid of readdirSync(join(store, a, b))) {
          const content = readFileSync(join(store, a, b, oid));
          lfsObjects.push({ oid, size: content.length, content });
        }
      }
    }
  }
  writeFileSync(join(repo, "README.md"), "# sample\nmore\n");
  git(repo, ["commit", "-q", "-am", "second"], env);
  git(repo, ["tag", "light"], env);
  const bundlePath = join(root, "repo.bundle");
  const version = options.bundleVersion ? [`--version=${options.bundleVersion}`] : [];
  execFileSync("git", ["bundle", "create", "-q", ...version, bundlePath, "--all"], { cwd: repo, env });
  const bundle = readFileSync(bundlePath);
  const refs: Record<string, string> = {};
  for (
    const line of git(repo, ["for-each-ref", "--format=%(objectname) %(refname)"], env).trim().split("\n")
  ) {
    const i = line.indexOf(" ");
    refs[line.slice(i + 1)] = line.slice(0, i);
  }
  const head = git(repo, ["rev-parse", "HEAD"], env).trim();

  const entries: PartEntry[] = [{ path: "repo.bundle", content: bundle }];
  for (const o of lfsObjects) entries.push({ path: lfsEntryPath(o.oid), content: o.content });
  const dependencies: Manifest["dependencies"] = {};
  if (options.dependencies ?? true) {
    const py = {
      "dependencies/python/manifest.json": '{"packages":["six==1.16.0"]}\n',
      "dependencies/python/requirements.txt": "six==1.16.0 --hash=sha256:00\n",
      "dependencies/python/packages/six-1.16.0-py2.py3-none-any.whl": randomBytes(3000),
    };
    const node = {
      "dependencies/nodejs/manifest.json": '{"packages":1}\n',
      "dependencies/nodejs/package-lock.json": '{"lockfileVersion":3}\n',
      "dependencies/nodejs/node_modules.tar.gz": gzipSync(randomBytes(2000)),
    };
    for (const [eco, files] of [["python", py], ["nodejs", node]] as const) {
      for (const [path, content] of Object.entries(files)) {
        entries.push({
          path,
          content: typeof content === "string" ? new TextEncoder().encode(content) : content,
        });
      }
      dependencies[eco] = {
        status: "included",
        packages: 1,
        files: Object.keys(files),
        projects: ["."],
        inherited: [],
      };
    }
  }
  entries.push({
    path: "restore-scripts/restore.sh",
    content: new TextEncoder().encode("#!/bin/sh\nset -eu\necho restore\n"),
  });
  const manifest: Manifest = {
    format_version: 1,
    archive_id: "0123abcd-4567-89ab-cdef-0123456789ab",
    type: "full",
    created_at: "2025-10-13T14:00:00Z",
    tool: { name: "repo-cloner", version: "0.1.0-test" },
    repository: { name: "sample" },
    source: { url: "https://git.example.invalid/org/sample.git", default_branch: "main", head },
    refs,
    deleted_refs: [],
    shallow: null,
    bundle: { path: "repo.bundle", sha256: "", size: 0, prerequisites: [], empty: false },
    base: null,
    lfs: { objects: lfsObjects.map((o) => ({ oid: o.oid, size: o.size })), inherited: [] },
    dependencies,
    files: [],
  };
  refreshHashes({ manifest, entries, repo });
  return { manifest, entries, repo };
}

/** sha256 hex of bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Recomputes `files[]` and `bundle.sha256/size` from the entries (a consistent re-hash). */
export function refreshHashes(parts: ArchiveParts): void {
  parts.manifest.files = parts.entries.map((e) => ({
    path: e.path,
    sha256: sha256(e.content),
    size: e.content.length,
  }));
  const bundle = parts.entries.find((e) => e.path === "repo.bundle");
  if (bundle) {
    parts.manifest.bundle.sha256 = sha256(bundle.content);
    parts.manifest.bundle.size = bundle.content.length;
  }
}

/** manifest.json text: two-space JSON, sealed with `manifest_sha256` unless `seal` is false. */
export function manifestText(manifest: Manifest, seal = true): string {
  const { manifest_sha256: _, ...rest } = manifest;
  if (!seal) return JSON.stringify(rest, null, 2) + "\n";
  return sealManifest(JSON.stringify({ ...rest, manifest_sha256: SEAL_PLACEHOLDER }, null, 2) + "\n");
}

/** Uncompressed tar bytes of manifest.json followed by the entries, written by tar-stream. */
export async function tarBytes(parts: ArchiveParts, manifestBytes?: Uint8Array): Promise<Uint8Array> {
  const pack = tarStream.pack();
  const chunks: Uint8Array[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on("data", (c) => chunks.push(c as Uint8Array));
    pack.on("end", resolve);
    pack.on("error", reject);
  });
  const all = [
    {
      path: "manifest.json",
      content: manifestBytes ?? new TextEncoder().encode(manifestText(parts.manifest)),
    },
    ...parts.entries,
  ];
  for (const e of all) {
    await new Promise<void>((resolve, reject) => {
      const mode = e.path.endsWith(".sh") ? 0o755 : 0o644;
      pack.entry(
        { name: e.path, size: e.content.length, mode, mtime: new Date(0) },
        Buffer.from(e.content),
        (err) => err ? reject(err) : resolve(),
      );
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Writes parts as `<dir>/<name>` (gzip of {@link tarBytes}) and returns the path. */
export async function writeArchive(dir: string, name: string, parts: ArchiveParts): Promise<string> {
  const file = join(dir, name);
  writeFileSync(file, gzipSync(await tarBytes(parts)));
  return file;
}
