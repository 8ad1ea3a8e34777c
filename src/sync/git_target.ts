/**
 * The `type: git` sync target: a plain git server (no API) addressed by a URL template. Repositories
 * cannot be created through it: a missing repository fails that target with a clear message, unless the
 * server creates repositories on push (Gitea's push-to-create, gitolite wild repos), which is tried.
 */
import { expandGitUrl } from "./git_url_template.ts";
import type { RemoteRepository } from "../platforms/types.ts";
import type { Destination, SyncTarget } from "./target.ts";
import { gitLabel, type GitTargetSettings } from "./target_settings.ts";

/** A plain git server as a target. Every repository is taken to exist until the server says otherwise. */
export class GitUrlTarget implements SyncTarget {
  readonly kind = "git";
  readonly label: string;
  readonly who: string;
  readonly prune: boolean;

  constructor(readonly settings: GitTargetSettings) {
    this.label = gitLabel(settings);
    this.prune = settings.prune;
    this.who = `the git server ${settings.template.host} (token from ${settings.tokenOrigin})`;
  }

  /** Nothing to list: a plain git server has no API. */
  prepare(): Promise<void> {
    return Promise.resolve();
  }

  /** @throws UsageError when `name` would make an unsafe URL. */
  destination(name: string): Destination {
    const url = expandGitUrl(this.settings.template, { name, namespace: this.settings.namespace });
    return {
      name,
      label: url.replace(/^https?:\/\//i, ""),
      url,
      auth: { token: this.settings.token, username: this.settings.username },
      exists: true,
    };
  }

  /** Never creates: see the module comment. */
  ensure(name: string, _source: RemoteRepository): Promise<Destination> {
    return Promise.resolve(this.destination(name));
  }
}
