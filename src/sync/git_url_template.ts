/**
 * URL templates of plain git targets (`type: git`): `https://git.internal/{namespace}/{name}.git`.
 * Checked once when the config is read, expanded per repository; an expansion that could reach another
 * host, climb out of the path or be read by git as an option is refused.
 */
import { UsageError } from "../errors.ts";
import { isSafeRepositoryName, locationProblem } from "../git/safe_location.ts";

/** Placeholders a template may use. */
const PLACEHOLDERS = new Set(["name", "namespace"]);
const NAMESPACE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/;

/** A checked template. */
export interface GitUrlTemplate {
  /** The template as configured. */
  template: string;
  /** `https://git.internal` — scheme and authority, fixed by the template. */
  origin: string;
  /** `git.internal` (with port when given), for labels. */
  host: string;
  /** True when the template uses `{namespace}`. */
  usesNamespace: boolean;
}

/**
 * Checks a template: http(s) only (the token travels as an HTTP header), no credentials, no query or
 * fragment, placeholders only in the path, `{name}` present, only `{name}` and `{namespace}` used.
 * @param where names the config key in messages, e.g. `targets[1].url`.
 * @throws UsageError naming the key and the rule broken.
 */
export function parseGitUrlTemplate(template: string, where: string): GitUrlTemplate {
  const fail = (why: string): never => {
    throw new UsageError(`Cannot use ${where} "${mask(template)}": ${why}`);
  };
  const m = /^(https?):\/\/([^/?#]*)(\/[^?#]*)$/i.exec(template.trim());
  if (!m) {
    if (/[?#]/.test(template)) fail("a git URL template takes no query string or fragment");
    fail("expected http(s)://host/path/{name}.git");
  }
  const [, scheme, authority, path] = m!;
  if (authority.includes("@")) {
    fail("the URL carries credentials. Put the token in targets[].token (and username) instead");
  }
  if (authority.includes("{") || authority === "") fail("the host must be written out, not a placeholder");
  const used = [...path.matchAll(/\{([^{}]*)\}/g)].map((x) => x[1]);
  const unknown = used.find((p) => !PLACEHOLDERS.has(p));
  if (unknown !== undefined) fail(`unknown placeholder "{${unknown}}"; use {namespace} and {name}`);
  if (!used.includes("name")) fail("it must contain {name} (the repository name)");
  if (/[{}]/.test(path.replace(/\{(name|namespace)\}/g, ""))) fail("unbalanced braces");
  let url: URL;
  try {
    url = new URL(`${scheme}://${authority}/`);
  } catch {
    return fail("the host is not valid");
  }
  const probe = expand({ template }, {
    name: "repo",
    namespace: "ns",
  });
  const problem = locationProblem(probe);
  if (problem) fail(problem);
  return {
    template: template.trim(),
    origin: `${url.protocol}//${url.host}`,
    host: url.host,
    usesNamespace: used.includes("namespace"),
  };
}

/**
 * The URL of repository `name` in `namespace`. Both are checked: a name is `[A-Za-z0-9._-]` (not led
 * by `.` or `-`), a namespace such names joined by `/`; the result must stay on the template's host.
 * @throws UsageError when a value is unsafe.
 */
export function expandGitUrl(t: GitUrlTemplate, values: { name: string; namespace?: string }): string {
  if (!isSafeRepositoryName(values.name)) {
    throw new UsageError(
      `Cannot build the git target URL for "${values.name}": not a safe repository name. Rename it with repositories[].target`,
    );
  }
  const ns = values.namespace ?? "";
  if (t.usesNamespace && (!NAMESPACE.test(ns) || ns.split("/").some((s) => s === ".." || s === "."))) {
    throw new UsageError(`Cannot build the git target URL: namespace "${ns}" is not a valid path`);
  }
  const url = expand(t, { name: values.name, namespace: ns });
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || `${parsed.protocol}//${parsed.host}` !== t.origin || locationProblem(url)) {
    throw new UsageError(`Cannot use git target URL "${mask(url)}": it does not stay on ${t.host}`);
  }
  return url;
}

function expand(t: Pick<GitUrlTemplate, "template">, v: { name: string; namespace: string }): string {
  return t.template.trim().replace(/\{(name|namespace)\}/g, (_, k: "name" | "namespace") => v[k]);
}

function mask(text: string): string {
  return text.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@]*@/, "$1***@");
}
