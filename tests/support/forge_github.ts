/**
 * GitHub Enterprise Server REST routes of the forge emulator (`/api/v3/...`): the calls octokit makes
 * for `users.getAuthenticated`, `orgs.get`, `repos.listForOrg` (paginated), `repos.createInOrg` and
 * `repos.get`. Response bodies carry the fields real GitHub returns that our code reads.
 */
import type { ForgeRepo, RouteContext } from "./forge.ts";

/** Serialises a repository as GitHub does. */
export function githubRepoJson(ctx: RouteContext, r: ForgeRepo): Record<string, unknown> {
  const owner = r.fullPath.split("/")[0];
  return {
    id: r.id,
    node_id: `R_${r.id}`,
    name: r.name,
    full_name: r.fullPath,
    owner: { login: owner, type: "Organization" },
    private: r.visibility !== "public",
    visibility: r.visibility,
    description: r.description || null,
    fork: false,
    archived: r.archived,
    disabled: false,
    default_branch: r.defaultBranch,
    html_url: `${ctx.forge.url}/${r.fullPath}`,
    clone_url: r.cloneUrl ?? `${ctx.forge.url}/${r.fullPath}.git`,
    git_url: `git://${ctx.forge.host}/${r.fullPath}.git`,
    ssh_url: `git@${ctx.forge.host.split(":")[0]}:${r.fullPath}.git`,
    url: `${ctx.forge.apiUrl}/repos/${r.fullPath}`,
  };
}

/** Dispatches one GitHub REST request. */
export function githubRoutes(ctx: RouteContext): void {
  const { forge, req, segments: s, send } = ctx;
  const seg = s.map(decodeURIComponent);
  const method = req.method ?? "GET";
  if (method === "GET" && seg.length === 1 && seg[0] === "user") {
    return send(200, { login: "sync-bot", id: 1, type: "User" }, { "x-oauth-scopes": "repo, read:org" });
  }
  if (seg[0] === "orgs" && seg.length >= 2) {
    const org = forge.namespaces.get(seg[1].toLowerCase());
    if (!org || org.parentId !== undefined) return send(404, { message: "Not Found" });
    if (seg.length === 2 && method === "GET") {
      return send(200, { login: org.path, id: org.id, type: "Organization" });
    }
    if (seg.length === 3 && seg[2] === "repos" && method === "GET") {
      const repos = [...forge.repos.values()]
        .filter((r) => r.fullPath.toLowerCase().startsWith(org.path.toLowerCase() + "/"))
        .sort((a, b) => a.id - b.id);
      return ctx.paginate(repos.map((r) => githubRepoJson(ctx, r)));
    }
    if (seg.length === 3 && seg[2] === "repos" && method === "POST") {
      const body = (ctx.body ?? {}) as Record<string, unknown>;
      const name = String(body.name ?? "");
      if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith(".")) {
        return send(422, {
          message: "Repository creation failed.",
          errors: [{ field: "name", code: "invalid" }],
        });
      }
      const full = `${org.path}/${name}`;
      if (forge.repos.has(full.toLowerCase())) {
        return send(422, {
          message: "Repository creation failed.",
          errors: [{
            resource: "Repository",
            code: "custom",
            field: "name",
            message: "name already exists on this account",
          }],
        });
      }
      const visibility = body.visibility === "public" || body.private === false
        ? "public"
        : body.visibility === "internal"
        ? "internal"
        : "private";
      forge.createRepo(full, { description: String(body.description ?? ""), visibility }).then(
        (r) => send(201, githubRepoJson(ctx, r)),
        (e) => send(500, { message: `cannot create the repository: ${e}` }),
      );
      return;
    }
  }
  if (seg[0] === "repos" && seg.length === 3 && method === "GET") {
    const r = forge.repos.get(`${seg[1]}/${seg[2]}`.toLowerCase());
    if (!r) return send(404, { message: "Not Found" });
    return send(200, githubRepoJson(ctx, r));
  }
  send(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
}
