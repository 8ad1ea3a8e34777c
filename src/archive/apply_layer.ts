import { existsSync, mkdirSync, renameSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { ArchiveError, VerificationError } from "../errors.ts";
import { git, GitError } from "../git/git.ts";
import { lfsCheckout, lfsInstallLocal } from "../git/lfs.ts";
import { existingObjects } from "../git/objects.ts";
import { diffRefs, listRefs } from "../git/refs.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { lfsEntryPath, type Manifest } from "./manifest.ts";
import { refStateSha256 } from "./ref_state.ts";

/** One verified, extracted archive of a chain. */
export interface RestoreLayer {
  /** Archive file name, for messages. */
  name: string;
  stagingDir: string;
  manifest: Manifest;
}

/** Options of the layer functions. */
export interface LayerOptions {
  logger?: ModuleLogger;
  signal?: AbortSignal;
}

const INCOMING = "refs/repo-cloner/incoming/";

/**
 * Applies an incremental archive to the repository at `repoDir` (a working tree or a bare
 * repository): fetches its bundle's objects (git checks the prerequisites and every object), checks
 * that every ref of the manifest points at an object the repository now has, then sets the refs to
 * exactly the manifest's state in one `git update-ref --stdin` transaction (new and moved refs
 * updated, refs the archive no longer has deleted), and moves its LFS objects into the store.
 * @throws VerificationError when a prerequisite or a ref's object is missing (nothing changed then:
 *   fetched objects are unreferenced) or the refs do not come out as the manifest says.
 */
export async function applyIncremental(repoDir: string, layer: RestoreLayer, options: LayerOptions = {}) {
  const m = layer.manifest;
  const run = (args: string[], input?: string) =>
    git(args, { cwd: repoDir, logger: options.logger, signal: options.signal, input });
  if (!m.bundle.empty) {
    try {
      await run([
        "fetch",
        "--quiet",
        "--no-tags",
        "--no-write-fetch-head",
        join(layer.stagingDir, "repo.bundle"),
        `+refs/heads/*:${INCOMING}heads/*`,
        `+refs/tags/*:${INCOMING}tags/*`,
      ]);
    } catch (e) {
      if (!(e instanceof GitError)) throw e;
      const why = /prerequisite/i.test(e.stderr)
        ? "the repository lacks commits this archive builds on (its bundle prerequisites)"
        : `git could not apply its bundle: ${e.stderr.split("\n").pop()}`;
      throw new VerificationError(`Cannot apply "${layer.name}": ${why}. Nothing was changed`, {
        entry: "repo.bundle",
        cause: e,
      });
    }
  }
  const have = await existingObjects(repoDir, Object.values(m.refs), { logger: options.logger });
  const lacking = Object.entries(m.refs).find(([, oid]) => !have.has(oid));
  if (lacking) {
    await dropIncoming(repoDir, options);
    throw new VerificationError(
      `Cannot apply "${layer.name}": ref "${lacking[0]}" points at ${lacking[1]}, which neither its bundle ` +
        "nor the earlier archives carry. Nothing was changed",
      { entry: "repo.bundle" },
    );
  }
  const current = await listRefs(repoDir, { logger: options.logger });
  const incoming = await listRefs(repoDir, { logger: options.logger, patterns: [INCOMING] });
  const lines: string[] = [];
  for (const [name, oid] of Object.entries(m.refs)) {
    if (current[name] !== oid) lines.push(`update ${name} ${oid}`);
  }
  for (const name of Object.keys(current)) if (!Object.hasOwn(m.refs, name)) lines.push(`delete ${name}`);
  for (const name of Object.keys(incoming)) lines.push(`delete ${name}`);
  if (lines.length > 0) await run(["update-ref", "--stdin"], lines.join("\n") + "\n");
  const after = await listRefs(repoDir, { logger: options.logger });
  const diff = diffRefs(m.refs, after);
  const bad = [...diff.onlyA, ...diff.onlyB, ...diff.changed];
  if (bad.length > 0) {
    throw new VerificationError(`Cannot apply "${layer.name}": ref "${bad[0]}" differs from its manifest`, {
      entry: "manifest.json",
    });
  }
  moveLfsObjects(layer, await lfsStore(repoDir, options));
}

async function dropIncoming(repoDir: string, options: LayerOptions): Promise<void> {
  const incoming = await listRefs(repoDir, { logger: options.logger, patterns: [INCOMING] });
  const lines = Object.keys(incoming).map((n) => `delete ${n}\n`).join("");
  if (lines) await git(["update-ref", "--stdin"], { cwd: repoDir, input: lines, logger: options.logger });
}

/** The repository's LFS object store, `<git dir>/lfs/objects`. */
export async function lfsStore(repoDir: string, options: LayerOptions = {}): Promise<string> {
  const r = await git(["rev-parse", "--git-dir"], { cwd: repoDir, logger: options.logger });
  const gitDir = r.stdout.trim();
  return join(isAbsolute(gitDir) ? gitDir : join(repoDir, gitDir), "lfs", "objects");
}

/** Moves a layer's verified LFS objects from staging into `store` (an object already there is kept). */
export function moveLfsObjects(layer: RestoreLayer, store: string): void {
  for (const o of layer.manifest.lfs.objects) {
    const to = join(store, o.oid.slice(0, 2), o.oid.slice(2, 4), o.oid);
    if (existsSync(to)) continue;
    mkdirSync(dirname(to), { recursive: true });
    renameSync(join(layer.stagingDir, ...lfsEntryPath(o.oid).split("/")), to);
  }
}

/** What {@link checkRepositoryBase} found. */
export interface RepositoryBase {
  bare: boolean;
  /** Branches and tags before anything is applied. */
  refs: Record<string, string>;
}

/**
 * Checks, before anything changes, that the repository at `repoDir` is where the incremental `first`
 * applies: its branches and tags are exactly the base archive's ref state (`base.refs_sha256`), the
 * bundle's prerequisites and the inherited LFS objects are present, and a working tree has no
 * uncommitted changes (it is moved to the new state afterwards).
 * @throws UsageError-like ArchiveError (not a repository, uncommitted changes: exit 1),
 *   VerificationError (not the base's state: exit 3).
 */
export async function checkRepositoryBase(
  repoDir: string,
  first: { name: string; manifest: Manifest },
  options: LayerOptions = {},
): Promise<RepositoryBase> {
  const m = first.manifest;
  let bare: boolean;
  try {
    const r = await git(["rev-parse", "--is-bare-repository"], { cwd: repoDir, logger: options.logger });
    bare = r.stdout.trim() === "true";
  } catch (e) {
    throw new ArchiveError(
      `Cannot apply "${first.name}" onto "${repoDir}": it is not a git repository. ` +
        "Give the repository restored from the base archive with --into",
      { cause: e },
    );
  }
  const refs = await listRefs(repoDir, { logger: options.logger });
  const state = refStateSha256(refs);
  if (m.base === null || state !== m.base.refs_sha256) {
    const already = state === refStateSha256(m.refs);
    throw new VerificationError(
      already
        ? `Cannot apply "${first.name}" onto "${repoDir}": the repository is already at this archive's state. Nothing was changed`
        : `Cannot apply "${first.name}" onto "${repoDir}": its branches and tags are not those of the base archive ` +
          `${m.base?.archive_id ?? "(none)"} (${
            Object.keys(refs).length
          } refs differ in state). Apply it onto the ` +
          "repository restored from that archive, without local commits, or restore the chain (FULL INC…) afresh. Nothing was changed",
      { entry: "manifest.json" },
    );
  }
  const have = await existingObjects(repoDir, m.bundle.prerequisites, { logger: options.logger });
  const missing = m.bundle.prerequisites.find((p) => !have.has(p));
  if (missing) {
    throw new VerificationError(
      `Cannot apply "${first.name}" onto "${repoDir}": prerequisite commit ${missing} is missing. Nothing was changed`,
      { entry: "repo.bundle" },
    );
  }
  const store = await lfsStore(repoDir, options);
  const lfsMissing = m.lfs.inherited.find((o) =>
    !existsSync(join(store, o.oid.slice(0, 2), o.oid.slice(2, 4), o.oid))
  );
  if (lfsMissing) {
    throw new VerificationError(
      `Cannot apply "${first.name}" onto "${repoDir}": LFS object ${lfsMissing.oid}, carried by an earlier ` +
        "archive of the chain, is not in the repository. Restore the chain afresh. Nothing was changed",
      { entry: "manifest.json" },
    );
  }
  if (!bare) {
    const status = await git(["status", "--porcelain", "--untracked-files=no"], {
      cwd: repoDir,
      logger: options.logger,
      env: { GIT_LFS_SKIP_SMUDGE: "1" },
    });
    if (status.stdout.trim() !== "") {
      throw new ArchiveError(
        `Cannot apply "${first.name}" onto "${repoDir}": its working tree has uncommitted changes. ` +
          "Commit or stash them first. Nothing was changed",
      );
    }
  }
  return { bare, refs };
}

/**
 * Points HEAD at the manifest's default branch (or the first branch) and, in a working tree, checks
 * it out: pointers first, then LFS content from the local store only (never the network).
 */
export async function checkOutHead(
  repoDir: string,
  m: Manifest,
  options: LayerOptions & { lfs: boolean; bare?: boolean; lfsObjects: number },
): Promise<void> {
  const run = (args: string[], env?: Record<string, string>) =>
    git(args, { cwd: repoDir, logger: options.logger, signal: options.signal, env });
  const branch = m.source.default_branch;
  const headRef = branch !== null && `refs/heads/${branch}` in m.refs
    ? `refs/heads/${branch}`
    : Object.keys(m.refs).find((r) => r.startsWith("refs/heads/"));
  if (headRef) await run(["symbolic-ref", "HEAD", headRef]);
  if (options.bare) return;
  if (options.lfsObjects > 0) {
    if (!options.lfs) {
      throw new ArchiveError(
        "Cannot restore LFS files: git-lfs is not installed. Install git-lfs, or use restore-scripts/restore.sh",
      );
    }
    await lfsInstallLocal(repoDir, { logger: options.logger });
  }
  if (!headRef) return;
  const env: Record<string, string> = { GIT_LFS_SKIP_SMUDGE: "1" };
  // Without git-lfs, a global LFS filter config would fail the checkout: ignore it.
  if (!options.lfs) Object.assign(env, { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" });
  await run(["reset", "--quiet", "--hard"], env);
  if (options.lfsObjects > 0) await lfsCheckout(repoDir, { logger: options.logger });
}
