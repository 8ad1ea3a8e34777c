import { ArchiveError } from "../errors.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { classifyGitFailure, git, type GitAuth } from "./git.ts";

/** One ref update reported by `git push --porcelain`. */
export interface PushedRef {
  /** ` ` fast-forward, `+` forced, `-` deleted, `*` new, `!` rejected, `=` up to date. */
  flag: string;
  /** Destination refname. */
  ref: string;
  /** git's summary, e.g. `[new branch]` or `[remote rejected] (pre-receive hook declined)`. */
  summary: string;
}

/** Options of {@link pushBranchesAndTags}. */
export interface PushOptions {
  /** Target credentials (environment only). */
  auth?: GitAuth;
  /** Delete target branches and tags that the local repository does not have. Default false. */
  prune?: boolean;
  /**
   * Refs to overwrite on the target only if it still holds `expect` there (`--force-with-lease`):
   * moved tags and rewritten branches whose old value the caller knows. Pushed first, on their own.
   */
  forced?: Array<{ ref: string; expect: string }>;
  logger?: ModuleLogger;
  signal?: AbortSignal;
}

/**
 * Parses `git push --porcelain` output: `<flag>\t<from>:<to>\t<summary>` lines.
 */
export function parsePorcelain(stdout: string): PushedRef[] {
  const out: PushedRef[] = [];
  for (const line of stdout.split("\n")) {
    const m = line.match(/^([ +\-*!=])\t([^\t]*)\t(.*)$/);
    if (!m) continue;
    const colon = m[2].lastIndexOf(":");
    out.push({ flag: m[1], ref: colon >= 0 ? m[2].slice(colon + 1) : m[2], summary: m[3] });
  }
  return out;
}

/**
 * Pushes every local branch and tag of `repoDir` to `url` (no force: a diverged target branch or a
 * moved tag is rejected, never overwritten; nothing is deleted unless `prune`). Only the refs in
 * `forced` are overwritten, each only while the target still holds its expected old value.
 * @throws ArchiveError naming the rejected refs and the server's reason; AuthError for a rejected
 *   token (exit 5, never retried); TransientError for network faults.
 */
export async function pushBranchesAndTags(
  repoDir: string,
  url: string,
  options: PushOptions = {},
): Promise<PushedRef[]> {
  const forced = options.forced ?? [];
  const refs: PushedRef[] = [];
  if (forced.length > 0) {
    const leases = forced.map((f) => `--force-with-lease=${f.ref}:${f.expect}`);
    const specs = forced.map((f) => `+${f.ref}:${f.ref}`);
    refs.push(
      ...await pushOnce(repoDir, ["push", "--porcelain", ...leases, "--", url, ...specs], url, options),
    );
  }
  const args = ["push", "--porcelain", ...(options.prune ? ["--prune"] : []), "--", url];
  args.push("refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*");
  const done = new Set(refs.map((r) => r.ref));
  refs.push(
    ...(await pushOnce(repoDir, args, url, options)).filter((r) => !(done.has(r.ref) && r.flag === "=")),
  );
  return refs;
}

async function pushOnce(
  repoDir: string,
  args: string[],
  url: string,
  options: PushOptions,
): Promise<PushedRef[]> {
  const r = await git(args, {
    cwd: repoDir,
    auth: options.auth,
    logger: options.logger,
    signal: options.signal,
    okCodes: [1],
  });
  const refs = parsePorcelain(r.stdout);
  const rejected = refs.filter((p) => p.flag === "!");
  if (rejected.length > 0) {
    const shown = rejected.slice(0, 5).map((p) => `${p.ref} ${p.summary}`).join("; ");
    const more = rejected.length > 5 ? ` and ${rejected.length - 5} more` : "";
    throw new ArchiveError(
      `Cannot push to "${url}": the target rejected ${rejected.length} ref(s): ${shown}${more}. ` +
        "Nothing was overwritten; resolve the conflict on the target (or restore into an empty repository) and run again",
    );
  }
  if (r.code !== 0) throw classifyGitFailure(`git push ${url}`, r.code, r.stderr);
  return refs;
}
