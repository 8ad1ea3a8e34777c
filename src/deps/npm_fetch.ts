import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { ModuleLogger } from "../log/logger.ts";
import {
  cacheContentPaths,
  classifyNpmFailure,
  isNpmSignal,
  type LockPackage,
  lockPackages,
  npmAuthEnv,
} from "./_npm.ts";
import { childEnv, hashFile, stripCredentials } from "./_fs.ts";
import { runTool, ToolMissing } from "./_run.ts";
import type { NodeProject } from "./detect.ts";
import { DependencyError } from "./errors.ts";
import { type NodeManifest, type NodePackage, projectPath } from "./manifests.ts";
import { materialise } from "./tree.ts";

/** Options of {@link fetchNode}. */
export interface FetchNodeOptions {
  gitDir: string;
  /** Private scratch directory (removed by the caller). */
  work: string;
  env: Record<string, string | undefined>;
  logger?: ModuleLogger;
}

/**
 * Fills an npm cache with every package of each project's lockfile: `npm ci --ignore-scripts` in a
 * scratch copy of the project (npm's own resolution, registry and scoped-registry config, integrity
 * checks), then `npm cache add` for lockfile packages that install skipped (optional packages for
 * other platforms). Writes `outDir/npm-cache/_cacache`, a copy of each lockfile and
 * `outDir/manifest.json`. The registry comes from npm's config (NPM_CONFIG_REGISTRY, `.npmrc`); the
 * token from NPM_TOKEN (or NODE_AUTH_TOKEN) reaches npm through the environment only.
 */
export async function fetchNode(
  projects: NodeProject[],
  outDir: string,
  options: FetchNodeOptions,
): Promise<NodeManifest> {
  const cache = join(options.work, "npm-cache");
  const base = childEnv(options.env, {
    npm_config_cache: cache,
    npm_config_logs_dir: join(options.work, "npm-logs"),
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    npm_config_fetch_retries: options.env.npm_config_fetch_retries ?? "1",
    npm_config_fetch_retry_mintimeout: options.env.npm_config_fetch_retry_mintimeout ?? "1000",
    npm_config_fetch_retry_maxtimeout: options.env.npm_config_fetch_retry_maxtimeout ?? "5000",
  });
  const token = options.env.NPM_TOKEN || options.env.NODE_AUTH_TOKEN;
  const manifest: NodeManifest = {
    format_version: 1,
    ecosystem: "nodejs",
    registry: "",
    cache: "npm-cache",
    projects: [],
    packages: [],
  };
  const carried = new Map<string, NodePackage>();
  for (const [i, project] of projects.entries()) {
    const ws = join(options.work, "nodejs", String(i));
    await materialise(options.gitDir, ws, { paths: project.files, logger: options.logger });
    const cwd = join(ws, project.root);
    const registry =
      (await npm(["config", "get", "registry"], { cwd, env: base, registry: "", logger: options.logger }))
        .stdout.trim() || "https://registry.npmjs.org/";
    manifest.registry ||= stripCredentials(registry);
    const env = { ...base, ...npmAuthEnv(registry, token) };
    await npm(
      [
        "ci",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--include=dev",
        "--include=optional",
        "--include=peer",
      ],
      { cwd, env, registry, logger: options.logger },
    );
    const lock = JSON.parse(readFileSync(join(ws, project.lockfile), "utf8")) as Record<string, unknown>;
    const pkgs = lockPackages(lock);
    const absent = pkgs.filter((p) => !p.uncarried && !findCached(cache, p.integrity!));
    for (let k = 0; k < absent.length; k += 50) {
      const specs = absent.slice(k, k + 50).map((p) => `${p.name}@${p.version}`);
      await npm(["cache", "add", ...specs], { cwd, env, registry, logger: options.logger });
    }
    const skipped: string[] = pkgs.filter((p) => p.uncarried).map((p) =>
      `${p.name}@${p.version} (${p.uncarried})`
    );
    let count = 0;
    for (const p of pkgs) {
      if (p.uncarried) continue;
      const rel = findCached(cache, p.integrity!);
      if (!rel) {
        if (p.optional) {
          skipped.push(`${p.name}@${p.version} (optional, not in the registry)`);
          continue;
        }
        throw new DependencyError(
          `package "${p.name}@${p.version}" could not be cached from registry "${
            stripCredentials(registry)
          }"`,
          {
            ecosystem: "nodejs",
            kind: "not_found",
          },
        );
      }
      count++;
      await record(p, rel, cache, carried);
    }
    const copy = projectPath(project.root, basename(project.lockfile));
    mkdirSync(dirname(join(outDir, copy)), { recursive: true });
    writeFileSync(join(outDir, copy), readFileSync(join(ws, project.lockfile)));
    manifest.projects.push({
      root: project.root,
      lockfile: project.lockfile,
      lockfile_copy: copy,
      packages: count,
      skipped,
    });
  }
  for (const part of ["content-v2", "index-v5"]) {
    const src = join(cache, "_cacache", part);
    if (existsSync(src)) cpSync(src, join(outDir, "npm-cache", "_cacache", part), { recursive: true });
  }
  manifest.packages = [...carried.values()].sort((a, b) =>
    `${a.name}@${a.version}`.localeCompare(`${b.name}@${b.version}`)
  );
  writeFileSync(join(outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

function findCached(cache: string, integrity: string): string | undefined {
  return cacheContentPaths(integrity).find((rel) => existsSync(join(cache, rel)));
}

async function record(
  p: LockPackage,
  rel: string,
  cache: string,
  carried: Map<string, NodePackage>,
): Promise<void> {
  if (carried.has(rel)) return;
  const { sha256, size } = await hashFile(join(cache, rel));
  carried.set(rel, {
    name: p.name,
    version: p.version,
    filename: `npm-cache/${rel}`,
    sha256,
    size,
    integrity: p.integrity!,
    ...(p.license ? { license: p.license } : {}),
    ...(p.resolved ? { resolved: p.resolved } : {}),
  });
}

async function npm(
  args: string[],
  options: { cwd: string; env: Record<string, string>; registry: string; logger?: ModuleLogger },
) {
  const r = await runTool("npm", args, {
    cwd: options.cwd,
    env: options.env,
    logger: options.logger,
    keep: isNpmSignal,
    tail: 30,
    captureStdout: args[0] === "config",
  }).catch((e) => {
    throw e instanceof ToolMissing
      ? new DependencyError("npm is not installed on this host: install Node.js with npm", {
        ecosystem: "nodejs",
        kind: "tool_missing",
      })
      : e;
  });
  if (r.code !== 0) throw classifyNpmFailure(r.lines, options.registry || "the configured registry");
  return r;
}
