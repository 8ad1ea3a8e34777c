import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { git, type GitAuth } from "../git/git.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { isSyncedRef, parseForEachRef, type RefMap } from "./refs.ts";

/**
 * Default cache root: `$XDG_CACHE_HOME/repo-cloner`, else `~/.cache/repo-cloner`. `env` is the
 * environment read once by the caller (config layer).
 */
export function defaultCacheDir(env: Record<string, string | undefined>): string {
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith("/") ? xdg : join(env.HOME ?? homedir(), ".cache"), "repo-cloner");
}

/** Options of one git step of the mirror. */
export interface MirrorStepOptions {
  auth?: GitAuth;
  /** Kill the git process tree after this many ms. */
  timeoutMs?: number;
  logger?: ModuleLogger;
  /** Kills the git process tree when aborted (a first clone's partial directory is removed). */
  signal?: AbortSignal;
}

/**
 * The persistent mirror cache: one bare repository per source repository under
 * `<root>/mirrors/<host>/<full path>.git`. It is a mirror of `refs/heads/*` and `refs/tags/*` only —
 * `git clone --mirror` restricted to those two namespaces, so merge-request, pull and keep-around
 * refs (and the commits only they reach) are never downloaded. The first update clones into
 * `<dir>.partial-*` and renames it into place, so an interrupted first run leaves no half-made
 * mirror; later updates run `git fetch --prune`.
 * The URL stored in the mirror's config never carries credentials.
 */
export class MirrorCache {
  constructor(readonly root: string) {}

  /** Directory of the mirror of `host`/`fullPath`. */
  pathFor(host: string, fullPath: string): string {
    const safeHost = host.replace(/[^A-Za-z0-9.-]/g, "_");
    const safePath = fullPath.split("/").map((s) => s.replace(/^\.+/, "_")).join("/");
    return join(this.root, "mirrors", safeHost, `${safePath}.git`);
  }

  /** True when a mirror exists at `dir`. */
  has(dir: string): boolean {
    return existsSync(join(dir, "HEAD"));
  }

  /**
   * Branches and tags of an existing mirror; empty when there is none yet. A fresh clone keeps every
   * ref in `packed-refs`, read here without starting git ({@link readPackedRefsOnly}); otherwise
   * `git for-each-ref`.
   */
  async refs(dir: string, options: MirrorStepOptions = {}): Promise<RefMap> {
    if (!existsSync(join(dir, "HEAD"))) return new Map();
    const packed = readPackedRefsOnly(dir);
    if (packed) return packed;
    const r = await git(
      ["for-each-ref", "--format=%(objectname) %(*objectname) %(refname)", "refs/heads", "refs/tags"],
      { cwd: dir, timeoutMs: options.timeoutMs, logger: options.logger, signal: options.signal },
    );
    return parseForEachRef(r.stdout);
  }

  /**
   * Brings the mirror at `dir` up to date with `url`: creates it on first use, else fetches with
   * prune. Returns whether it was created.
   */
  async update(dir: string, url: string, options: MirrorStepOptions = {}): Promise<{ created: boolean }> {
    const base = { timeoutMs: options.timeoutMs, logger: options.logger, signal: options.signal };
    if (existsSync(join(dir, "HEAD"))) {
      if (!readFileSync(join(dir, "config"), "utf8").includes(`\turl = ${url}\n`)) {
        await git(["remote", "set-url", "origin", url], { ...base, cwd: dir });
      }
      await this.#fetch(dir, options);
      return { created: false };
    }
    mkdirSync(dirname(dir), { recursive: true });
    const tmp = `${dir}.partial-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
    try {
      // `clone --bare` copies exactly refs/heads/* and refs/tags/* in one process; the fetch
      // refspecs written next make every later `git fetch --prune` mirror the same two namespaces.
      await git(["clone", "--bare", "--quiet", "--no-local", url, tmp], { ...base, auth: options.auth });
      appendFileSync(
        join(tmp, "config"),
        '[remote "origin"]\n\tfetch = +refs/heads/*:refs/heads/*\n\tfetch = +refs/tags/*:refs/tags/*\n',
      );
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    return { created: true };
  }

  async #fetch(dir: string, options: MirrorStepOptions): Promise<void> {
    await git(["fetch", "--prune", "--quiet", "--no-write-fetch-head", "origin"], {
      cwd: dir,
      auth: options.auth,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      signal: options.signal,
    });
  }
}

/**
 * The branches and tags of the repository at `dir` when all of them are in its `packed-refs` file, as
 * right after `git clone --bare`; `undefined` whenever that is not certain, so that the caller asks git:
 * no `packed-refs` (reftable or another ref backend), a header without `fully-peeled` (then a missing
 * `^` line would not mean "not a tag object"), any loose file under `refs/heads` or `refs/tags`, or a
 * line that does not parse. Tags are peeled as `ls-remote` peels them (`^{}`, all the way).
 */
export function readPackedRefsOnly(dir: string): RefMap | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, "packed-refs"), "utf8");
  } catch {
    return undefined;
  }
  const lines = text.split("\n");
  const header = /^# pack-refs with: (.*)$/.exec(lines[0] ?? "");
  if (!header || !header[1].trim().split(/\s+/).includes("fully-peeled")) return undefined;
  if (hasLooseRefs(join(dir, "refs", "heads")) || hasLooseRefs(join(dir, "refs", "tags"))) return undefined;
  const refs: RefMap = new Map();
  let last: string | undefined;
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    const peel = /^\^([0-9a-f]{40}|[0-9a-f]{64})$/.exec(line);
    if (peel) {
      if (last === undefined) return undefined;
      const tip = refs.get(last);
      if (tip) tip.commit = peel[1];
      last = undefined;
      continue;
    }
    const m = /^([0-9a-f]{40}|[0-9a-f]{64}) (refs\/\S+)$/.exec(line);
    if (!m) return undefined;
    last = m[2];
    if (isSyncedRef(m[2])) refs.set(m[2], { sha: m[1], commit: m[1] });
  }
  return refs;
}

/** True when `dir` holds any file at any depth (a loose ref); false when it is missing or only holds directories. */
function hasLooseRefs(dir: string): boolean {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== "ENOENT";
  }
  return entries.some((e) => !e.isDirectory() || hasLooseRefs(join(dir, e.name)));
}
