/**
 * The one interface every forge implements (GitHub through octokit, GitLab through @gitbeaker/rest):
 * check the token, discover the repositories of an organization or group, list a namespace and
 * create a repository in it. Built from config by `createPlatform()` in `factory.ts`.
 */

/** A repository as a forge's API describes it. */
export interface RemoteRepository {
  /** Full path on the forge: `backend/payments/api`, `myorg/repo`. */
  fullPath: string;
  /** Path relative to the organization or group it was discovered in: `payments/api`. */
  relativePath: string;
  /** Last path segment: `api`. */
  name: string;
  /** HTTPS clone URL from the API (`clone_url` / `http_url_to_repo`), without credentials. */
  cloneUrl: string;
  /** Web page of the repository. */
  webUrl: string;
  /** Description, "" when none. */
  description: string;
  /** Default branch, when the repository has one. */
  defaultBranch?: string;
  /** Archived (read-only) repositories are skipped unless asked for. */
  archived: boolean;
  /** "private", "internal" or "public". */
  visibility: string;
}

/** Which end of a sync a platform is, for error messages naming the token. */
export type PlatformRole = "source" | "target";

/** Options of {@link Platform.discover}. */
export interface DiscoverOptions {
  /** Include archived repositories. Default false. */
  includeArchived?: boolean;
}

/** Options of {@link Platform.createRepository}. */
export interface CreateRepositoryOptions {
  /** Copied from the source. Default "". */
  description?: string;
  /** Default "private". */
  visibility?: "private" | "internal" | "public";
}

/** One forge account, seen through its REST API. */
export interface Platform {
  /** "github" or "gitlab". */
  readonly kind: "github" | "gitlab";
  /** Web root, e.g. `https://gitlab.com`. */
  readonly url: string;
  /** REST base actually used, e.g. `https://gitlab.com/api/v4`. */
  readonly apiUrl: string;
  /** Host as shown to users: `gitlab.com`. */
  readonly host: string;
  /** Basic-auth user name git should send with the token (`x-access-token`, `oauth2`). */
  readonly gitUsername: string;
  /**
   * Checks the token once (GET /user).
   * @throws AuthError naming the role, host, where the token came from and the scope it needs.
   */
  checkAuth(): Promise<void>;
  /**
   * Every repository of an organization (GitHub) or a group and all its subgroups (GitLab), every
   * page. @throws AuthError, TransientError, RepoClonerError when the namespace does not exist.
   */
  discover(namespace: string, options?: DiscoverOptions): Promise<RemoteRepository[]>;
  /**
   * One repository by full path (`backend/payments/api`, `myorg/repo`); its `relativePath` is the
   * path below the top-level group or organization. @throws RepoClonerError when it does not exist.
   */
  getRepository(fullPath: string): Promise<RemoteRepository>;
  /** Repositories directly usable as targets in `namespace`, keyed by lower-cased name. */
  listNamespace(namespace: string): Promise<Map<string, RemoteRepository>>;
  /** Creates `namespace/name`. @throws AuthError when the token may not create repositories. */
  createRepository(
    namespace: string,
    name: string,
    options?: CreateRepositoryOptions,
  ): Promise<RemoteRepository>;
}
