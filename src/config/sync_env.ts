import { UsageError } from "../errors.ts";
import { redactor } from "../log/redact.ts";
import type { ConfigFile } from "./schema.ts";

/** Where each token of an env-built config came from, by `sources[i]` / `targets[i]`. */
export interface EnvSyncConfig {
  config: Pick<ConfigFile, "sources" | "targets">;
  tokenOrigins: { sources: string[]; targets: string[] };
}

const REQUIRED = ["GITLAB_TOKEN", "GITLAB_GROUP", "GITHUB_ORG", "GITHUB_TOKEN"] as const;

/**
 * The spec's env-only setup, with no config file at all: GITLAB_URL (default https://gitlab.com),
 * GITLAB_TOKEN, GITLAB_GROUP (comma-separated for several), GITHUB_URL (default https://github.com),
 * GITHUB_ORG, GITHUB_TOKEN, and optionally GITLAB_API_URL / GITHUB_API_URL. Returns undefined when
 * none of GITLAB_GROUP / GITHUB_ORG is set (nothing to build).
 * @throws UsageError naming every missing variable when the setup is incomplete.
 */
export function syncConfigFromEnv(env: Record<string, string | undefined>): EnvSyncConfig | undefined {
  if (!env.GITLAB_GROUP && !env.GITHUB_ORG) return undefined;
  const missing = REQUIRED.filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new UsageError(
      `Cannot configure sync from the environment: ${missing.join(", ")} ${
        missing.length > 1 ? "are" : "is"
      } not set. ` +
        "Export GITLAB_URL, GITLAB_TOKEN, GITLAB_GROUP, GITHUB_ORG and GITHUB_TOKEN (GITHUB_URL for GitHub Enterprise), or use --config",
    );
  }
  redactor.add(env.GITLAB_TOKEN);
  redactor.add(env.GITHUB_TOKEN);
  return {
    config: {
      sources: [{
        type: "gitlab",
        url: env.GITLAB_URL || "https://gitlab.com",
        api_url: env.GITLAB_API_URL || undefined,
        token: env.GITLAB_TOKEN,
        groups: env.GITLAB_GROUP!.split(",").map((g) => g.trim()).filter(Boolean),
        include_archived: false,
      }],
      targets: [{
        type: "github",
        url: env.GITHUB_URL || "https://github.com",
        api_url: env.GITHUB_API_URL || undefined,
        organization: env.GITHUB_ORG,
        token: env.GITHUB_TOKEN,
      }],
    },
    tokenOrigins: { sources: ["GITLAB_TOKEN"], targets: ["GITHUB_TOKEN"] },
  };
}
