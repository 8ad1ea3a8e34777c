import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { redactor } from "../log/redact.ts";
import { DependencyError } from "./errors.ts";
import { childEnv, stripCredentials } from "./_fs.ts";

/** The default index, as pip has it. */
export const PYPI = "https://pypi.org/simple";

/** Index URLs pip will use on the staging host: PIP_INDEX_URL (or PyPI) then PIP_EXTRA_INDEX_URL. */
export function indexUrls(env: Record<string, string | undefined>): string[] {
  const main = env.PIP_INDEX_URL?.trim() || PYPI;
  const extra = (env.PIP_EXTRA_INDEX_URL ?? "").split(/\s+/).filter(Boolean);
  return [main, ...extra];
}

/**
 * The environment of `pip download`: the caller's environment, plus — when PYPI_USERNAME and
 * PYPI_PASSWORD are set — a netrc file (mode 0600, in `work`) naming every index host, handed to pip
 * through NETRC so the password never appears in argv or in a URL.
 */
export function pipFetchEnv(
  env: Record<string, string | undefined>,
  work: string,
): Record<string, string> {
  const overrides: Record<string, string> = {
    PIP_NO_INPUT: "1",
    PIP_DISABLE_PIP_VERSION_CHECK: "1",
    PYTHONDONTWRITEBYTECODE: "1",
  };
  const user = env.PYPI_USERNAME;
  const password = env.PYPI_PASSWORD;
  if (user && password) {
    redactor.add(password);
    const hosts = new Set<string>();
    for (const u of indexUrls(env)) {
      try {
        hosts.add(new URL(u).hostname);
      } catch {
        // not a URL (a local path): no credentials needed
      }
    }
    const netrc = join(work, "netrc");
    const quote = (v: string) => (/\s|"/.test(v) ? `"${v.replace(/(["\\])/g, "\\$1")}"` : v);
    const body = [...hosts].map((h) => `machine ${h}\nlogin ${quote(user)}\npassword ${quote(password)}\n`);
    writeFileSync(netrc, body.join(""), { mode: 0o600 });
    overrides.NETRC = netrc;
  }
  return childEnv(env, overrides);
}

/** pip's target-interpreter flags (`--python-version`, `--platform`, `--only-binary`). */
export function targetArgs(
  pip: { pythonVersion?: string; platforms?: string[]; onlyBinary?: string } = {},
): string[] {
  const args: string[] = [];
  if (pip.pythonVersion) args.push("--python-version", pip.pythonVersion);
  for (const p of pip.platforms ?? []) args.push("--platform", p);
  const restricted = Boolean(pip.pythonVersion || pip.platforms?.length);
  // pip refuses --platform/--python-version unless only binaries are allowed (or --no-deps).
  const only = pip.onlyBinary ?? (restricted ? ":all:" : undefined);
  if (only) args.push("--only-binary", only);
  return args;
}

/** Lines of pip's `-vv` output worth keeping to explain a failure. */
export function isPipSignal(line: string): boolean {
  return /Could not fetch URL|No matching distribution|ERROR:|Saved |THESE PACKAGES DO NOT MATCH|HTTP error|40[13]/
    .test(line);
}

/**
 * Turns a failed `pip download`'s output into the error the user sees: rejected credentials name the
 * index, an unreachable index is a NetworkError, a requirement no index has names the package and the
 * indexes searched.
 */
export function classifyPipFailure(lines: string[], indexes: string[]): DependencyError {
  const shown = indexes.map((u) => `"${stripCredentials(u)}"`).join(", ");
  const fetchFailures = lines
    .map((l) => /Could not fetch URL (\S+?):? (.*?)( - skipping)?$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  const indexOf = (url: string) => stripCredentials(url.replace(/[^/]+\/?$/, ""));
  const auth = fetchFailures.find((m) => /\b40[13] Client Error/i.test(m[2]));
  if (auth) {
    const status = /\b(40[13])\b/.exec(auth[2])![1];
    return new DependencyError(
      `AuthenticationError: index "${indexOf(auth[1])}" rejected the credentials (HTTP ${status}). ` +
        "Check PYPI_USERNAME/PYPI_PASSWORD or the index URL's credentials",
      { ecosystem: "python", kind: "auth" },
    );
  }
  const net = fetchFailures.find((m) =>
    /connection error|Connection refused|Max retries|Name or service|timed out|Temporary failure|Network is unreachable|ConnectTimeout|RemoteDisconnected|\b5\d\d Server Error/i
      .test(m[2])
  );
  if (net) {
    const why = /Connection refused/i.test(net[2])
      ? "connection refused"
      : /timed out/i.test(net[2])
      ? "timed out"
      : /\b5\d\d Server Error/i.exec(net[2])?.[0] ?? net[2].slice(0, 120);
    return new DependencyError(
      `NetworkError: cannot reach index "${indexOf(net[1])}" (${why}). Check connectivity and PIP_INDEX_URL`,
      { ecosystem: "python", kind: "network" },
    );
  }
  const missing = lines.map((l) => /No matching distribution found for (.+)$/.exec(l)).find(Boolean);
  if (missing) {
    return new DependencyError(
      `package "${missing[1].trim()}" was not found on index ${shown}`,
      { ecosystem: "python", kind: "not_found" },
    );
  }
  const errors = lines.filter((l) => l.startsWith("ERROR:")).map((l) => l.slice(6).trim());
  const detail = (errors.length ? errors : lines.slice(-3)).join(" ").slice(0, 500);
  return new DependencyError(`pip download failed: ${detail}`, { ecosystem: "python", kind: "failed" });
}
