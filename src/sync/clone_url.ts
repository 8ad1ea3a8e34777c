import { UsageError } from "../errors.ts";
import { locationProblem } from "../git/safe_location.ts";
import type { RemoteRepository } from "../platforms/types.ts";

/**
 * Refuses clone URLs from an API response that are not plain http(s) without credentials, or that
 * point at another host than the platform's (the token would be sent there), and paths git could
 * read as options.
 */
export function checkCloneUrl(repo: RemoteRepository, host: string): void {
  let u: URL | undefined;
  try {
    u = new URL(repo.cloneUrl);
  } catch {
    u = undefined;
  }
  const ok = u && (u.protocol === "https:" || u.protocol === "http:") && !u.username && !u.password &&
    locationProblem(repo.cloneUrl) === undefined;
  if (!ok || repo.fullPath.split("/").some((s) => s.startsWith("-") || s === "..")) {
    throw new UsageError(
      `Cannot sync "${repo.fullPath}": the server returned an unsafe clone URL or path; refusing to use it`,
    );
  }
  if (u!.host.toLowerCase() !== host.toLowerCase()) {
    throw new UsageError(
      `Cannot sync "${repo.fullPath}": its clone URL is on "${
        u!.host
      }", not on "${host}", and the token is only ` +
        "sent to the configured host. Set the source url to the instance's external URL",
    );
  }
}
