/**
 * The object store of a bidirectional pair: one bare repository per source repository under
 * `<cache root>/bidirectional/<host>/<path>.git` holding both sides' branches and tags in two
 * namespaces, `refs/rc-source/{heads,tags}/*` and `refs/rc-target/{heads,tags}/*`. Each side is
 * fetched at most once per run (and not at all when its namespace already matches its `ls-remote`),
 * so ancestry between the two sides' tips is answered locally, and pushes to either side send
 * objects from here. No URL is stored in its config: fetches name the URL and refspecs on the
 * command line, credentials go through the environment only.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { git, type GitAuth } from "../git/git.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { ancestryKey, type Side } from "./bidi_plan.ts";
import { parseForEachRef, type RefMap } from "./refs.ts";

/** Options of one git step against the cache. */
export interface BidiCacheStepOptions {
  auth?: GitAuth;
  timeoutMs?: number;
  logger?: ModuleLogger;
  signal?: AbortSignal;
}

/** Ref namespace of one side in the cache: `refs/rc-source/`, `refs/rc-target/`. */
export function sideNamespace(side: Side): string {
  return `refs/rc-${side}/`;
}

/** The two-sided object store of one repository pair. */
export class BidiCache {
  /** Opens (does not create) the cache of `host`/`fullPath` under `root`. */
  constructor(readonly root: string, readonly host: string, readonly fullPath: string) {}

  /** Directory of the bare repository. */
  get dir(): string {
    const safeHost = this.host.replace(/[^A-Za-z0-9.-]/g, "_");
    const safePath = this.fullPath.split("/").map((s) => s.replace(/^\.+/, "_")).join("/");
    return join(this.root, "bidirectional", safeHost, `${safePath}.git`);
  }

  /** Creates the bare repository when missing (`git init --bare` is idempotent). */
  async ensure(options: BidiCacheStepOptions = {}): Promise<void> {
    if (existsSync(join(this.dir, "HEAD"))) return;
    mkdirSync(dirname(this.dir), { recursive: true });
    await git(["init", "--bare", "--quiet", this.dir], {
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      signal: options.signal,
    });
  }

  /** One side's branches and tags as last fetched, named as on that side (`refs/heads/main`). */
  async refs(side: Side, options: BidiCacheStepOptions = {}): Promise<RefMap> {
    if (!existsSync(join(this.dir, "HEAD"))) return new Map();
    const ns = sideNamespace(side);
    const r = await git(
      ["for-each-ref", "--format=%(objectname) %(*objectname) %(refname)", `${ns}heads`, `${ns}tags`],
      { cwd: this.dir, timeoutMs: options.timeoutMs, logger: options.logger, signal: options.signal },
    );
    const renamed = r.stdout.split("\n").map((l) => l.replace(` ${ns}`, " refs/")).join("\n");
    return parseForEachRef(renamed);
  }

  /**
   * Fetches one side's branches and tags into its namespace, pruning refs the side no longer has.
   * Tags are not auto-followed, so nothing lands outside the namespace.
   */
  async fetch(side: Side, url: string, options: BidiCacheStepOptions = {}): Promise<void> {
    const ns = sideNamespace(side);
    await git(
      [
        "fetch",
        "--prune",
        "--no-tags",
        "--quiet",
        "--no-write-fetch-head",
        "--",
        url,
        `+refs/heads/*:${ns}heads/*`,
        `+refs/tags/*:${ns}tags/*`,
      ],
      {
        cwd: this.dir,
        auth: options.auth,
        timeoutMs: options.timeoutMs,
        logger: options.logger,
        signal: options.signal,
      },
    );
  }

  /**
   * Answers `[ancestor, descendant]` questions with `git merge-base --is-ancestor`, keyed by
   * {@link ancestryKey}. A commit missing from the cache (e.g. a state tip that no side has any more)
   * is answered "no".
   */
  async ancestry(
    questions: ReadonlyArray<readonly [string, string]>,
    options: BidiCacheStepOptions = {},
  ): Promise<Map<string, boolean>> {
    const answers = new Map<string, boolean>();
    if (questions.length === 0) return answers;
    const present = await this.commits(questions.flat(), options);
    for (const [a, d] of questions) {
      if (!present.has(a) || !present.has(d)) {
        answers.set(ancestryKey(a, d), false);
        continue;
      }
      const r = await git(["merge-base", "--is-ancestor", a, d], {
        cwd: this.dir,
        timeoutMs: options.timeoutMs,
        logger: options.logger,
        signal: options.signal,
        okCodes: [1],
      });
      answers.set(ancestryKey(a, d), r.code === 0);
    }
    return answers;
  }

  /** Which of `shas` are commits here. */
  async commits(shas: readonly string[], options: BidiCacheStepOptions = {}): Promise<Set<string>> {
    const unique = [...new Set(shas)];
    if (unique.length === 0) return new Set();
    const r = await git(["cat-file", "--batch-check=%(objectname) %(objecttype)"], {
      cwd: this.dir,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      signal: options.signal,
      input: unique.join("\n") + "\n",
    });
    return new Set(r.stdout.split("\n").filter((l) => / commit$/.test(l)).map((l) => l.split(" ")[0]));
  }

  /** `git rev-list --count <tips> --not <known>`: commits reachable from `tips` that `known` lack. */
  async countNew(
    tips: readonly string[],
    known: readonly string[],
    options: BidiCacheStepOptions = {},
  ): Promise<number> {
    if (tips.length === 0) return 0;
    const input = [...tips, ...known.map((k) => `^${k}`)].join("\n") + "\n";
    const r = await git(["rev-list", "--count", "--stdin"], {
      cwd: this.dir,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      signal: options.signal,
      input,
    });
    return Number(r.stdout.trim()) || 0;
  }
}
