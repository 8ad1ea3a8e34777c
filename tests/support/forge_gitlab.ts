/**
 * GitLab REST routes of the forge emulator (`/api/v4/...`): the calls @gitbeaker/rest makes for
 * `Users.showCurrentUser`, `Groups.show`, `Groups.allProjects` (with `include_subgroups`),
 * `Groups.allSubgroups`, `Groups.allDescendantGroups`, `Namespaces.show`, `Projects.show` and
 * `Projects.create`. Ids are numeric or URL-encoded full paths, as on a real GitLab.
 */
import type { ForgeNamespace, ForgeRepo, RouteContext } from "./forge.ts";

/** Serialises a project as GitLab does. */
export function gitlabProjectJson(ctx: RouteContext, r: ForgeRepo): Record<string, unknown> {
  const nsPath = r.fullPath.slice(0, r.fullPath.lastIndexOf("/"));
  const ns = ctx.forge.namespaces.get(nsPath.toLowerCase());
  return {
    id: r.id,
    name: r.name,
    path: r.name,
    path_with_namespace: r.fullPath,
    name_with_namespace: r.fullPath.split("/").join(" / "),
    description: r.description || null,
    default_branch: r.defaultBranch,
    visibility: r.visibility,
    archived: r.archived,
    namespace: { id: ns?.id, name: ns?.name, path: ns?.name, full_path: nsPath, kind: "group" },
    http_url_to_repo: r.cloneUrl ?? `${ctx.forge.url}/${r.fullPath}.git`,
    ssh_url_to_repo: `git@${ctx.forge.host.split(":")[0]}:${r.fullPath}.git`,
    web_url: `${ctx.forge.url}/${r.fullPath}`,
  };
}

function groupJson(ctx: RouteContext, g: ForgeNamespace): Record<string, unknown> {
  return {
    id: g.id,
    name: g.name,
    path: g.name,
    full_path: g.path,
    full_name: g.path.split("/").join(" / "),
    parent_id: g.parentId ?? null,
    visibility: "private",
    web_url: `${ctx.forge.url}/groups/${g.path}`,
  };
}

function findGroup(ctx: RouteContext, idOrPath: string): ForgeNamespace | undefined {
  const key = decodeURIComponent(idOrPath);
  if (/^\d+$/.test(key)) return [...ctx.forge.namespaces.values()].find((n) => n.id === Number(key));
  return ctx.forge.namespaces.get(key.toLowerCase());
}

function descendants(ctx: RouteContext, g: ForgeNamespace): ForgeNamespace[] {
  const prefix = g.path.toLowerCase() + "/";
  return [...ctx.forge.namespaces.values()].filter((n) => n.path.toLowerCase().startsWith(prefix))
    .sort((a, b) => a.id - b.id);
}

/** Dispatches one GitLab REST request. */
export function gitlabRoutes(ctx: RouteContext): void {
  const { forge, req, segments: s, send, url } = ctx;
  const method = req.method ?? "GET";
  if (method === "GET" && s.length === 1 && s[0] === "user") {
    return send(200, { id: 1, username: "sync-bot", name: "Sync Bot", state: "active" });
  }
  if (s[0] === "groups" && s.length >= 2 && method === "GET") {
    const g = findGroup(ctx, s[1]);
    if (!g) return send(404, { message: "404 Group Not Found" });
    if (s.length === 2) return send(200, groupJson(ctx, g));
    if (s[2] === "subgroups") {
      return ctx.paginate(
        descendants(ctx, g).filter((n) => n.parentId === g.id).map((n) => groupJson(ctx, n)),
      );
    }
    if (s[2] === "descendant_groups") return ctx.paginate(descendants(ctx, g).map((n) => groupJson(ctx, n)));
    if (s[2] === "projects" && s.length === 3) {
      const sub = url.searchParams.get("include_subgroups") === "true";
      const archived = url.searchParams.get("archived");
      const prefix = g.path.toLowerCase() + "/";
      const projects = [...forge.repos.values()].filter((r) => {
        const p = r.fullPath.toLowerCase();
        if (!p.startsWith(prefix)) return false;
        if (!sub && p.slice(prefix.length).includes("/")) return false;
        if (archived === "true" && !r.archived) return false;
        if (archived === "false" && r.archived) return false;
        return true;
      }).sort((a, b) => a.id - b.id);
      return ctx.paginate(projects.map((r) => gitlabProjectJson(ctx, r)));
    }
  }
  if (s[0] === "namespaces" && s.length === 1 && method === "GET") {
    const search = (url.searchParams.get("search") ?? "").toLowerCase();
    return ctx.paginate(
      [...forge.namespaces.values()].filter((n) => n.path.toLowerCase().includes(search)).sort((a, b) =>
        a.id - b.id
      )
        .map((g) => ({
          id: g.id,
          name: g.name,
          path: g.name,
          kind: "group",
          full_path: g.path,
          parent_id: g.parentId ?? null,
        })),
    );
  }
  if (s[0] === "namespaces" && s.length === 2 && method === "GET") {
    const g = findGroup(ctx, s[1]);
    if (!g) return send(404, { message: "404 Namespace Not Found" });
    return send(200, {
      id: g.id,
      name: g.name,
      path: g.name,
      kind: "group",
      full_path: g.path,
      parent_id: g.parentId ?? null,
    });
  }
  if (s[0] === "projects" && s.length === 2 && method === "GET") {
    const key = decodeURIComponent(s[1]);
    const r = /^\d+$/.test(key)
      ? [...forge.repos.values()].find((p) => p.id === Number(key))
      : forge.repos.get(key.toLowerCase());
    if (!r) return send(404, { message: "404 Project Not Found" });
    return send(200, gitlabProjectJson(ctx, r));
  }
  if (s[0] === "projects" && s.length === 1 && method === "POST") {
    const body = (ctx.body ?? {}) as Record<string, unknown>;
    const ns = findGroup(ctx, String(body.namespace_id ?? ""));
    if (!ns) return send(404, { message: "404 Namespace Not Found" });
    const path = String(body.path ?? body.name ?? "");
    if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(path) || /\.(git|atom)$/.test(path)) {
      return send(400, { message: { path: ["is invalid"] } });
    }
    const full = `${ns.path}/${path}`;
    if (forge.repos.has(full.toLowerCase())) {
      return send(400, { message: { path: ["has already been taken"] } });
    }
    const visibility = body.visibility === "public" || body.visibility === "internal"
      ? body.visibility
      : "private";
    forge.createRepo(full, { description: String(body.description ?? ""), visibility }).then(
      (r) => send(201, gitlabProjectJson(ctx, r)),
      (e) => send(500, { message: `cannot create the repository: ${e}` }),
    );
    return;
  }
  send(404, { message: "404 Not Found" });
}
