import { UsageError } from "../errors.ts";
import { isForgeTarget, type SyncSettings } from "./settings.ts";

const DEFAULT_URL = { github: "https://github.com", gitlab: "https://gitlab.com" } as const;

function hostOf(url: string | undefined, type: "github" | "gitlab"): string {
  try {
    return new URL(url ?? DEFAULT_URL[type]).host.toLowerCase();
  } catch {
    return (url ?? "").toLowerCase();
  }
}

/**
 * Refuses, before any network use, a target namespace that is a source namespace (or lies inside
 * one) on the same instance: the sync would push repositories into themselves, or discover its own
 * copies as sources on the next run.
 * @throws {UsageError} naming both.
 */
export function assertTargetsAreNotSources(settings: Pick<SyncSettings, "sources" | "targets">): void {
  for (const t of settings.targets.filter(isForgeTarget)) {
    const th = hostOf(t.url, t.type);
    const tn = t.namespace.toLowerCase();
    for (const s of settings.sources) {
      if (s.type !== t.type || hostOf(s.url, s.type) !== th) continue;
      for (const ns of s.namespaces) {
        const sn = ns.toLowerCase();
        if (tn === sn || tn.startsWith(`${sn}/`)) {
          throw new UsageError(
            `Cannot sync: the target "${th}/${t.namespace}" is ${tn === sn ? "" : "inside "}the source ` +
              `"${th}/${ns}": repositories would be pushed into themselves. Choose another target namespace`,
          );
        }
      }
    }
  }
}
