import type { GitAuth } from "../git/git.ts";
import type { Platform, RemoteRepository } from "../platforms/types.ts";
import { checkCloneUrl } from "./clone_url.ts";

/** Where one source repository goes on one target. */
export interface Destination {
  /** Name on the target (flat): `payments-api`. */
  name: string;
  /** `myorg/payments-api`, as shown to users. */
  label: string;
  /** Git URL without credentials: known when the repository exists, predicted otherwise. */
  url: string;
  /** Credentials for git on this target. */
  auth: GitAuth;
  /** The repository exists on the target (false until created). */
  exists: boolean;
}

/**
 * A place repositories are pushed to. One target is prepared once per run (a single listing of what
 * exists), then asked for each repository's destination and to create it when missing. The engine
 * fetches each source repository once into the mirror cache and fans it out to every target.
 *
 * Implementations: {@link PlatformTarget} (GitHub organization, GitLab group). Others (plain git URL
 * templates, archive uploads) implement the same three calls.
 */
export interface SyncTarget {
  /** Type from config: "github", "gitlab", "git", … */
  readonly kind: string;
  /** Shown in the header and logs: `github.com/myorg`. */
  readonly label: string;
  /** Names the token in auth errors: `target GitHub at github.com (GITHUB_TOKEN; needs "repo")`. */
  readonly who: string;
  /** Delete refs the source no longer has (`prune: true`). */
  readonly prune: boolean;
  /** Lists what exists; called once before any repository is synced. */
  prepare(): Promise<void>;
  /** Destination of a repository with target name `name`. */
  destination(name: string): Destination;
  /** Creates the repository when missing (copying the description); returns the destination. */
  ensure(name: string, source: RemoteRepository): Promise<Destination>;
}

/** Options of {@link PlatformTarget}. */
export interface PlatformTargetOptions {
  /** GitHub organization or GitLab group path. */
  namespace: string;
  /** The target's token, for git. */
  token: string;
  /** Where the token came from, for auth errors: `GITHUB_TOKEN`, `targets[0].token`. */
  tokenOrigin: string;
  /** Visibility of created repositories. Default "private". */
  visibility?: "private" | "internal" | "public";
  /** Delete target refs the source no longer has. Default false. */
  prune?: boolean;
}

/** A GitHub organization or GitLab group as a target. */
export class PlatformTarget implements SyncTarget {
  readonly kind: string;
  readonly label: string;
  readonly who: string;
  readonly prune: boolean;
  #existing = new Map<string, RemoteRepository>();

  constructor(readonly platform: Platform, readonly options: PlatformTargetOptions) {
    this.kind = platform.kind;
    this.label = `${platform.host}/${options.namespace}`;
    this.prune = options.prune ?? false;
    const forge = platform.kind === "github" ? "GitHub" : "GitLab";
    const scope = platform.kind === "github" ? `"repo"` : `"api" and "write_repository"`;
    this.who =
      `the target ${forge} at ${platform.host} (token from ${options.tokenOrigin}; needs scope ${scope})`;
  }

  async prepare(): Promise<void> {
    this.#existing = await this.platform.listNamespace(this.options.namespace);
    for (const repo of this.#existing.values()) checkCloneUrl(repo, this.platform.host);
  }

  destination(name: string): Destination {
    const found = this.#existing.get(name.toLowerCase());
    return {
      name: found?.name ?? name,
      label: `${this.options.namespace}/${found?.name ?? name}`,
      url: found?.cloneUrl ?? `${this.platform.url}/${this.options.namespace}/${name}.git`,
      auth: { token: this.options.token, username: this.platform.gitUsername },
      exists: Boolean(found),
    };
  }

  async ensure(name: string, source: RemoteRepository): Promise<Destination> {
    const dest = this.destination(name);
    if (dest.exists) return dest;
    const created = await this.platform.createRepository(this.options.namespace, name, {
      description: source.description,
      visibility: this.options.visibility ?? "private",
    });
    checkCloneUrl(created, this.platform.host);
    this.#existing.set(name.toLowerCase(), created);
    return this.destination(name);
  }
}
