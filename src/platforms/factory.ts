import type { ModuleLogger } from "../log/logger.ts";
import { GitHubPlatform } from "./github.ts";
import { GitLabPlatform } from "./gitlab.ts";
import type { Platform, PlatformRole } from "./types.ts";

/** What {@link createPlatform} needs: a forge endpoint and its token. */
export interface PlatformSpec {
  type: "github" | "gitlab";
  url?: string;
  apiUrl?: string;
  token: string;
  /** Where the token came from, for messages. */
  tokenOrigin: string;
}

/** Builds the platform for a config entry (GitHub via octokit, GitLab via @gitbeaker/rest). */
export function createPlatform(
  spec: PlatformSpec,
  options: { role: PlatformRole; requestTimeoutMs?: number; logger?: ModuleLogger },
): Platform {
  const common = {
    url: spec.url,
    apiUrl: spec.apiUrl,
    token: spec.token,
    tokenOrigin: spec.tokenOrigin,
    role: options.role,
    requestTimeoutMs: options.requestTimeoutMs,
  };
  return spec.type === "github"
    ? new GitHubPlatform({ ...common, logger: options.logger })
    : new GitLabPlatform(common);
}
