import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ArchiveError } from "../errors.ts";
import { clip } from "./collect_history.ts";
import type { ReviewData, ReviewPackage } from "./review_schema.ts";

/** What the dependencies step reported per ecosystem (a subset of `EcosystemResult`). */
export interface EcosystemInfo {
  ecosystem: string;
  status: string;
  reason?: string;
  packages: number;
  /** Archive paths written, e.g. `dependencies/python/manifest.json`. */
  files: string[];
}

// The fields of dependencies/<ecosystem>/manifest.json the report reads (src/deps/manifests.ts).
const packageSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  filename: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().min(0),
  license: z.union([z.string(), z.object({ type: z.string() }).transform((l) => l.type)]).nullish(),
  kind: z.string().optional(),
});
const ecosystemManifestSchema = z.object({
  packages: z.array(packageSchema),
  projects: z.array(z.object({ lockfile_copy: z.string().optional() })).default([]),
});

/**
 * Lists every package carried under `dependencies/` from each included ecosystem's
 * `dependencies/<ecosystem>/manifest.json` in the staging directory `stage`: name, version, licence,
 * archive path, sha256, size, and whether installing it runs package code (npm: the carried lockfile's
 * `hasInstallScript`; Python: sdists are built, running setup.py or a build backend; wheels are not).
 * @throws ArchiveError when a manifest is unreadable or names a package file that was not staged.
 */
export function collectDependencies(stage: string, ecosystems: EcosystemInfo[]): ReviewData["dependencies"] {
  const packages: ReviewPackage[] = [];
  for (const eco of ecosystems) {
    const manifestPath = `dependencies/${eco.ecosystem}/manifest.json`;
    if (eco.status !== "included" || !eco.files.includes(manifestPath)) continue;
    const read = (rel: string) => {
      const file = join(stage, ...`dependencies/${eco.ecosystem}/${rel}`.split("/"));
      return existsSync(file) ? readFileSync(file, "utf8") : undefined;
    };
    const found = packagesFromManifest(eco.ecosystem, read("manifest.json") ?? "", read);
    for (const p of found) {
      const file = join(stage, ...p.filename.split("/"));
      if (!existsSync(file) || statSync(file).size !== p.size) {
        throw new ArchiveError(
          `Cannot build the review report: ${manifestPath} lists "${p.filename}" (${p.size} bytes) but it was not staged with that size`,
        );
      }
    }
    packages.push(...found);
  }
  return {
    ecosystems: ecosystems.map((e) => ({
      ecosystem: clip(e.ecosystem),
      status: clip(e.status),
      reason: e.reason ? clip(e.reason) : null,
      packages: e.packages,
    })),
    packages,
  };
}

/**
 * Packages of one ecosystem manifest (its JSON text); `readFile` returns other files of the ecosystem
 * folder (relative paths), used for npm lockfiles. Pure: used at create time and on archives.
 * @throws ArchiveError when the manifest does not parse.
 */
export function packagesFromManifest(
  ecosystem: string,
  manifestJson: string,
  readFile: (relative: string) => string | undefined,
): ReviewPackage[] {
  let parsed: z.infer<typeof ecosystemManifestSchema>;
  try {
    parsed = ecosystemManifestSchema.parse(JSON.parse(manifestJson));
  } catch (e) {
    throw new ArchiveError(
      `Cannot read dependencies/${ecosystem}/manifest.json: ${(e as Error).message.slice(0, 300)}`,
      { cause: e },
    );
  }
  const scripts = ecosystem === "nodejs"
    ? npmInstallScripts(parsed.projects.map((p) => p.lockfile_copy).filter((p): p is string => !!p), readFile)
    : null;
  return parsed.packages.map((p) => {
    const kind = p.kind ?? kindOf(ecosystem, p.filename);
    let script: boolean | null = null;
    let reason: string | null = null;
    if (ecosystem === "python") {
      script = kind === "sdist";
      reason = script
        ? "sdist: installing it builds it, running setup.py or its build backend"
        : "wheel: installed without running package code";
    } else if (scripts) {
      script = scripts.has(`${p.name}@${p.version}`);
      reason = script ? "npm lockfile: hasInstallScript (preinstall/install/postinstall)" : null;
    }
    return {
      ecosystem: clip(ecosystem),
      name: clip(p.name),
      version: clip(p.version),
      license: p.license ? clip(p.license) : null,
      filename: clip(`dependencies/${ecosystem}/${p.filename}`),
      sha256: p.sha256,
      size: p.size,
      kind: clip(kind),
      install_script: script,
      install_script_reason: reason,
    };
  });
}

function kindOf(ecosystem: string, filename: string): string {
  if (ecosystem === "nodejs") return "npm";
  if (filename.endsWith(".whl")) return "wheel";
  return ecosystem === "python" ? "sdist" : "file";
}

/**
 * `name@version` of every package a lockfile (v2/v3 `packages`) marks `hasInstallScript`; null when a
 * lockfile is missing or has no `packages` map (v1), so "no install script" is never claimed blindly.
 */
function npmInstallScripts(
  lockfiles: string[],
  readFile: (relative: string) => string | undefined,
): Set<string> | null {
  if (!lockfiles.length) return null;
  const out = new Set<string>();
  for (const rel of lockfiles) {
    let lock: { packages?: Record<string, { name?: string; version?: string; hasInstallScript?: boolean }> };
    try {
      lock = JSON.parse(readFile(rel) ?? "null");
    } catch {
      return null;
    }
    if (!lock || typeof lock.packages !== "object" || lock.packages === null) return null;
    for (const [key, entry] of Object.entries(lock.packages)) {
      if (!key || !entry || entry.hasInstallScript !== true) continue;
      const name = entry.name ?? key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
      out.add(`${name}@${entry.version ?? ""}`);
    }
  }
  return out;
}
