import type { Command } from "commander";
import { UsageError } from "../errors.ts";
import type { GitAuth } from "../git/git.ts";
import { redactor } from "../log/redact.ts";

/**
 * Reads a boolean environment variable: `true/false`, `1/0`, `yes/no`, `on/off` (any case).
 * Unset or empty gives undefined.
 * @throws UsageError naming the variable for any other value.
 */
export function envFlag(env: Record<string, string | undefined>, name: string): boolean | undefined {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return undefined;
  if (["true", "1", "yes", "on"].includes(raw)) return true;
  if (["false", "0", "no", "off"].includes(raw)) return false;
  throw new UsageError(`Cannot read ${name}="${env[name]}": use true or false`);
}

/**
 * A negatable boolean option (`--no-x`) with the documented precedence: the flag when given on the
 * command line, else the environment variable, else the config file value, else `fallback`.
 */
export function resolveFlag(
  cmd: Command,
  key: string,
  sources: { env: Record<string, string | undefined>; envName: string; config?: boolean; fallback: boolean },
): boolean {
  if (cmd.getOptionValueSource(key) === "cli") return Boolean(cmd.getOptionValue(key));
  return envFlag(sources.env, sources.envName) ?? sources.config ?? sources.fallback;
}

/**
 * A value option bound to an environment variable with `Option.env()`: the flag or the variable
 * (commander already ranks them), else the config file value, else `fallback`.
 */
export function resolveValue<T>(cmd: Command, key: string, config: T | undefined, fallback: T): T {
  const source = cmd.getOptionValueSource(key);
  if (source === "cli" || source === "env") return cmd.getOptionValue(key) as T;
  return config ?? fallback;
}

/**
 * Credentials for cloning `url`: SOURCE_TOKEN always; GITLAB_TOKEN only for the host of GITLAB_URL
 * (default gitlab.com) and GITHUB_TOKEN only for the host of GITHUB_URL (default github.com), so a
 * token is never sent to another host. Local paths and non-HTTP URLs get none.
 */
export function sourceAuth(url: string, env: Record<string, string | undefined>): GitAuth | undefined {
  let host: string;
  try {
    const u = new URL(url);
    if (u.protocol !== "https:" && u.protocol !== "http:") return undefined;
    host = u.host.toLowerCase();
  } catch {
    return undefined;
  }
  const hostOf = (value: string | undefined, fallback: string) => {
    try {
      return new URL(value || fallback).host.toLowerCase();
    } catch {
      return undefined;
    }
  };
  let auth: GitAuth | undefined;
  if (env.SOURCE_TOKEN) auth = { token: env.SOURCE_TOKEN, username: env.SOURCE_USERNAME || undefined };
  else if (env.GITLAB_TOKEN && host === hostOf(env.GITLAB_URL, "https://gitlab.com")) {
    auth = { token: env.GITLAB_TOKEN, username: "oauth2" };
  } else if (env.GITHUB_TOKEN && host === hostOf(env.GITHUB_URL, "https://github.com")) {
    auth = { token: env.GITHUB_TOKEN, username: "x-access-token" };
  }
  if (auth) redactor.add(auth.token);
  return auth;
}
