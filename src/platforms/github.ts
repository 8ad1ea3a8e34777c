import { Octokit } from "@octokit/rest";
import { RepoClonerError } from "../errors.ts";
import { type ModuleLogger, nullLogger } from "../log/logger.ts";
import { redactor } from "../log/redact.ts";
import { type CallSite, classifyHttpError, httpStatusOf } from "./http_error.ts";
import type {
  CreateRepositoryOptions,
  DiscoverOptions,
  Platform,
  PlatformRole,
  RemoteRepository,
} from "./types.ts";

/** Options of {@link GitHubPlatform}. */
export interface GitHubOptions {
  /** Web root. Default `https://github.com`. */
  url?: string;
  /** REST base; overrides the rule of {@link githubApiUrl}. */
  apiUrl?: string;
  /** The token (registered with the redactor). */
  token: string;
  /** Source or target, for error messages. */
  role: PlatformRole;
  /** Where the token came from (`GITHUB_TOKEN`, `targets[0].token`), for error messages. */
  tokenOrigin: string;
  /** Per-request timeout. Default 60 s. */
  requestTimeoutMs?: number;
  /** Debug log of requests. Default: none. */
  logger?: ModuleLogger;
}

/** REST base of a GitHub instance: api.github.com for github.com, `<url>/api/v3` for GHES. */
export function githubApiUrl(url = "https://github.com", apiUrl?: string): string {
  if (apiUrl) return apiUrl.replace(/\/+$/, "");
  const u = new URL(url);
  if (u.hostname === "github.com" || u.hostname === "www.github.com") return "https://api.github.com";
  return `${u.origin}${u.pathname.replace(/\/+$/, "")}/api/v3`;
}

type RepoJson = {
  name: string;
  full_name: string;
  clone_url?: string;
  html_url: string;
  description?: string | null;
  default_branch?: string;
  archived?: boolean;
  visibility?: string;
  private: boolean;
};

/** GitHub and GitHub Enterprise Server through octokit. */
export class GitHubPlatform implements Platform {
  readonly kind = "github" as const;
  readonly url: string;
  readonly apiUrl: string;
  readonly host: string;
  readonly gitUsername = "x-access-token";
  #octokit: Octokit;
  #options: GitHubOptions;

  constructor(options: GitHubOptions) {
    this.#options = options;
    this.url = (options.url ?? "https://github.com").replace(/\/+$/, "");
    this.apiUrl = githubApiUrl(this.url, options.apiUrl);
    this.host = new URL(this.url).host;
    redactor.add(options.token);
    const log = options.logger ?? nullLogger();
    const quiet = (m: string) => log.debug(redactor.redact(m));
    this.#octokit = new Octokit({
      auth: options.token,
      baseUrl: this.apiUrl,
      userAgent: "repo-cloner",
      log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
      request: { fetch: timedFetch(options.requestTimeoutMs ?? 60_000) },
    });
  }

  #site(action: string): CallSite {
    const o = this.#options;
    return {
      role: o.role,
      forge: "GitHub",
      host: this.host,
      tokenOrigin: o.tokenOrigin,
      scope: o.role === "source"
        ? `"repo" (classic) or "Contents: read" (fine-grained)`
        : `"repo" (classic) or "Administration: write" and "Contents: write" (fine-grained)`,
      action,
    };
  }

  async #call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw classifyHttpError(e, this.#site(action));
    }
  }

  #toRemote(r: RepoJson, org: string): RemoteRepository {
    return {
      fullPath: r.full_name,
      relativePath: r.full_name.slice(org.length + 1),
      name: r.name,
      cloneUrl: r.clone_url ?? `${this.url}/${r.full_name}.git`,
      webUrl: r.html_url,
      description: r.description ?? "",
      defaultBranch: r.default_branch,
      archived: Boolean(r.archived),
      visibility: r.visibility ?? (r.private ? "private" : "public"),
    };
  }

  /** GET /user. */
  async checkAuth(): Promise<void> {
    await this.#call("check the token", () => this.#octokit.rest.users.getAuthenticated());
  }

  /** Every repository of organization `org`, all pages (`GET /orgs/:org/repos`). */
  async discover(org: string, options: DiscoverOptions = {}): Promise<RemoteRepository[]> {
    const repos = await this.#call(`list repositories of organization "${org}"`, async () => {
      try {
        return await this.#octokit.paginate(this.#octokit.rest.repos.listForOrg, {
          org,
          type: "all",
          per_page: 100,
        });
      } catch (e) {
        if (httpStatusOf(e).status === 404) {
          throw new RepoClonerError(
            `Cannot list repositories of organization "${org}" on ${this.host}: it does not exist or the ${this.#options.role} token cannot see it. Check the organization name`,
            { errorType: "NotFound" },
          );
        }
        throw e;
      }
    });
    return (repos as RepoJson[]).map((r) => this.#toRemote(r, org))
      .filter((r) => options.includeArchived || !r.archived)
      .sort((a, b) => a.fullPath.localeCompare(b.fullPath));
  }

  /** GET /repos/:owner/:repo. */
  async getRepository(fullPath: string): Promise<RemoteRepository> {
    const [owner, repo] = fullPath.split("/");
    const r = await this.#call(
      `read repository "${fullPath}"`,
      () =>
        this.#octokit.rest.repos.get({ owner, repo }).catch((e) => {
          if (httpStatusOf(e).status === 404) {
            throw new RepoClonerError(
              `Cannot find repository "${fullPath}" on ${this.host}: it does not exist or the ${this.#options.role} token cannot see it`,
              { errorType: "NotFound" },
            );
          }
          throw e;
        }),
    );
    return this.#toRemote(r.data as RepoJson, owner);
  }

  /** Every repository of `org`, keyed by lower-cased name. */
  async listNamespace(org: string): Promise<Map<string, RemoteRepository>> {
    const all = await this.discover(org, { includeArchived: true });
    return new Map(all.map((r) => [r.name.toLowerCase(), r]));
  }

  /** POST /orgs/:org/repos, private unless asked; an existing repository is returned as is. */
  async createRepository(
    org: string,
    name: string,
    options: CreateRepositoryOptions = {},
  ): Promise<RemoteRepository> {
    const visibility = options.visibility ?? "private";
    return await this.#call(`create repository "${org}/${name}"`, async () => {
      try {
        const r = await this.#octokit.rest.repos.createInOrg({
          org,
          name,
          description: options.description || undefined,
          private: visibility !== "public",
          // GHES also knows "internal", which the public-API types do not list.
          ...(visibility === "internal" ? { visibility: visibility as "private" } : {}),
        });
        return this.#toRemote(r.data as RepoJson, org);
      } catch (e) {
        if (httpStatusOf(e).status !== 422) throw e;
        const existing = await this.#octokit.rest.repos.get({ owner: org, repo: name });
        return this.#toRemote(existing.data as RepoJson, org);
      }
    });
  }
}

/** A fetch that aborts after `ms` (cleared once the response headers arrive). */
export function timedFetch(ms: number): typeof fetch {
  return async (input, init) => {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(new DOMException("request timed out", "TimeoutError")), ms);
    init?.signal?.addEventListener("abort", () => ctrl.abort(init.signal?.reason), { once: true });
    try {
      return await fetch(input, { ...init, signal: ctrl.signal });
    } finally {
      clearTimeout(timer);
    }
  };
}
