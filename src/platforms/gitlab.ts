import { Gitlab } from "@gitbeaker/rest";
import { RepoClonerError, UsageError } from "../errors.ts";
import { redactor } from "../log/redact.ts";
import { type CallSite, classifyHttpError, httpStatusOf } from "./http_error.ts";
import type {
  CreateRepositoryOptions,
  DiscoverOptions,
  Platform,
  PlatformRole,
  RemoteRepository,
} from "./types.ts";

/** Options of {@link GitLabPlatform}. */
export interface GitLabOptions {
  /** Web root. Default `https://gitlab.com`. */
  url?: string;
  /** REST base, must end in `/api/v4`; overrides `<url>/api/v4`. */
  apiUrl?: string;
  /** The token, sent as `PRIVATE-TOKEN` (registered with the redactor). */
  token: string;
  /** Source or target, for error messages. */
  role: PlatformRole;
  /** Where the token came from (`GITLAB_TOKEN`, `sources[0].token`), for error messages. */
  tokenOrigin: string;
  /** Per-request timeout. Default 60 s. */
  requestTimeoutMs?: number;
}

/** REST base of a GitLab instance: `<url>/api/v4`, or `apiUrl` when given. */
export function gitlabApiUrl(url = "https://gitlab.com", apiUrl?: string): string {
  if (apiUrl) return apiUrl.replace(/\/+$/, "");
  return `${url.replace(/\/+$/, "")}/api/v4`;
}

type ProjectJson = {
  path: string;
  path_with_namespace: string;
  http_url_to_repo: string;
  web_url: string;
  description?: string | null;
  default_branch?: string | null;
  archived?: boolean;
  visibility?: string;
};

/** GitLab.com and self-managed GitLab through @gitbeaker/rest. */
export class GitLabPlatform implements Platform {
  readonly kind = "gitlab" as const;
  readonly url: string;
  readonly apiUrl: string;
  readonly host: string;
  readonly gitUsername = "oauth2";
  #api: InstanceType<typeof Gitlab>;
  #options: GitLabOptions;

  constructor(options: GitLabOptions) {
    this.#options = options;
    this.url = (options.url ?? "https://gitlab.com").replace(/\/+$/, "");
    this.apiUrl = gitlabApiUrl(this.url, options.apiUrl);
    if (!/\/api\/v4$/.test(this.apiUrl)) {
      throw new UsageError(
        `Cannot use GitLab api_url "${this.apiUrl}": it must end in /api/v4. Remove api_url to use <url>/api/v4`,
      );
    }
    this.host = new URL(this.url).host;
    redactor.add(options.token);
    this.#api = new Gitlab({
      host: this.apiUrl.replace(/\/api\/v4$/, ""),
      token: options.token,
      queryTimeout: options.requestTimeoutMs ?? 60_000,
    });
  }

  #site(action: string): CallSite {
    const o = this.#options;
    return {
      role: o.role,
      forge: "GitLab",
      host: this.host,
      tokenOrigin: o.tokenOrigin,
      scope: o.role === "source" ? `"read_api" and "read_repository"` : `"api" and "write_repository"`,
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

  #toRemote(p: ProjectJson, group: string): RemoteRepository {
    return {
      fullPath: p.path_with_namespace,
      relativePath: p.path_with_namespace.slice(group.length + 1),
      name: p.path,
      cloneUrl: p.http_url_to_repo,
      webUrl: p.web_url,
      description: p.description ?? "",
      defaultBranch: p.default_branch ?? undefined,
      archived: Boolean(p.archived),
      visibility: p.visibility ?? "private",
    };
  }

  #notFound(what: string, e: unknown): never {
    if (httpStatusOf(e).status === 404) {
      throw new RepoClonerError(
        `Cannot find ${what} on ${this.host}: it does not exist or the ${this.#options.role} token cannot see it. Check the group path`,
        { errorType: "NotFound" },
      );
    }
    throw e;
  }

  /** GET /user. */
  async checkAuth(): Promise<void> {
    await this.#call("check the token", () => this.#api.Users.showCurrentUser());
  }

  /** Every project of `group` and all its subgroups, all pages (`include_subgroups=true`). */
  async discover(group: string, options: DiscoverOptions = {}): Promise<RemoteRepository[]> {
    const projects = await this.#call(
      `list projects of group "${group}"`,
      () =>
        this.#api.Groups.allProjects(group, {
          includeSubgroups: true,
          withShared: false,
          perPage: 100,
          ...(options.includeArchived ? {} : { archived: false }),
        }).catch((e) => this.#notFound(`group "${group}"`, e)),
    );
    return (projects as unknown as ProjectJson[]).map((p) => this.#toRemote(p, group))
      .filter((r) => options.includeArchived || !r.archived)
      .sort((a, b) => a.fullPath.localeCompare(b.fullPath));
  }

  /** GET /projects/:path; `relativePath` is the path below the top-level group. */
  async getRepository(fullPath: string): Promise<RemoteRepository> {
    const p = await this.#call(
      `read project "${fullPath}"`,
      () => this.#api.Projects.show(fullPath).catch((e) => this.#notFound(`project "${fullPath}"`, e)),
    );
    return this.#toRemote(p as unknown as ProjectJson, fullPath.split("/")[0]);
  }

  /** Projects directly in `group` (not its subgroups), keyed by lower-cased path. */
  async listNamespace(group: string): Promise<Map<string, RemoteRepository>> {
    const projects = await this.#call(
      `list projects of group "${group}"`,
      () =>
        this.#api.Groups.allProjects(group, { withShared: false, perPage: 100 })
          .catch((e) => this.#notFound(`group "${group}"`, e)),
    );
    const list = (projects as unknown as ProjectJson[]).map((p) => this.#toRemote(p, group));
    return new Map(list.map((r) => [r.name.toLowerCase(), r]));
  }

  /** POST /projects in the group's namespace, private unless asked; an existing one is returned. */
  async createRepository(
    group: string,
    name: string,
    options: CreateRepositoryOptions = {},
  ): Promise<RemoteRepository> {
    return await this.#call(`create project "${group}/${name}"`, async () => {
      const ns = await this.#api.Namespaces.show(group).catch((e) =>
        this.#notFound(`namespace "${group}"`, e)
      );
      try {
        const p = await this.#api.Projects.create({
          name,
          path: name,
          namespaceId: ns.id as number,
          visibility: options.visibility ?? "private",
          description: options.description || undefined,
        });
        return this.#toRemote(p as unknown as ProjectJson, group);
      } catch (e) {
        const { status, text } = httpStatusOf(e);
        if (status !== 400 || !/taken/i.test(text)) throw e;
        const p = await this.#api.Projects.show(`${group}/${name}`);
        return this.#toRemote(p as unknown as ProjectJson, group);
      }
    });
  }
}
