import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ModuleLogger } from "../log/logger.ts";
import { runTool, ToolMissing } from "./_run.ts";
import { DependencyError } from "./errors.ts";
import type { NodeManifest, PythonManifest } from "./manifests.ts";
import { offlineNpmEnv, offlinePipEnv } from "./offline_env.ts";

/** Options of the offline installers. */
export interface OfflineInstallOptions {
  env: Record<string, string | undefined>;
  logger?: ModuleLogger;
  allowInstallScripts?: boolean;
}

/** What one ecosystem's offline install did. */
export interface InstallOutcome {
  packages: number;
  projects: string[];
}

/**
 * Installs the carried Python packages, offline, into a virtualenv `<root>/.venv` of every project
 * root in `repoDir`: `python3 -m venv`, then `pip install --no-index --find-links packages
 * --require-hashes -r <pinned requirements>`. Throws {@link DependencyError} (kind "tool_missing" when
 * python3 or its venv module is absent).
 */
export async function installPython(
  repoDir: string,
  pyDir: string,
  options: OfflineInstallOptions,
): Promise<InstallOutcome> {
  const manifest = JSON.parse(readFileSync(join(pyDir, "manifest.json"), "utf8")) as PythonManifest;
  const env = offlinePipEnv(options.env);
  let packages = 0;
  for (const project of manifest.projects) {
    const root = join(repoDir, project.root);
    mkdirSync(root, { recursive: true });
    const venv = join(root, ".venv");
    await tool("python3", ["-m", "venv", venv], {
      cwd: root,
      env,
      logger: options.logger,
      ecosystem: "python",
    });
    if (project.packages.length === 0) continue;
    await tool(join(venv, "bin", "python"), [
      "-m",
      "pip",
      "install",
      "--no-index",
      "--no-cache-dir",
      "--find-links",
      join(pyDir, "packages"),
      "--require-hashes",
      "-r",
      join(pyDir, project.requirements),
    ], { cwd: root, env, logger: options.logger, ecosystem: "python" });
    packages += project.packages.length;
  }
  return { packages, projects: manifest.projects.map((p) => p.root) };
}

/**
 * Installs every Node.js project's packages offline with `npm ci --offline` against the carried npm
 * cache; npm checks each tarball against the lockfile's integrity. Install scripts run only with
 * `allowInstallScripts`. Throws {@link DependencyError}.
 */
export async function installNode(
  repoDir: string,
  nodeDir: string,
  options: OfflineInstallOptions,
): Promise<InstallOutcome> {
  const manifest = JSON.parse(readFileSync(join(nodeDir, "manifest.json"), "utf8")) as NodeManifest;
  const scratch = mkdtempSync(join(tmpdir(), "rc-npm-"));
  try {
    writeFileSync(join(scratch, "npmrc-user"), "");
    writeFileSync(join(scratch, "npmrc-global"), "");
    const env = offlineNpmEnv(options.env, {
      cache: join(nodeDir, manifest.cache),
      registry: manifest.registry,
      scratch,
      allowInstallScripts: options.allowInstallScripts,
    });
    let packages = 0;
    for (const project of manifest.projects) {
      const root = join(repoDir, project.root);
      if (!existsSync(join(root, "package.json"))) {
        throw new DependencyError(`"${project.root}/package.json" is missing from the restored repository`, {
          ecosystem: "nodejs",
          kind: "failed",
        });
      }
      const args = ["ci", "--offline", "--no-audit", "--no-fund", "--include=dev", "--include=optional"];
      if (!options.allowInstallScripts) args.push("--ignore-scripts");
      await tool("npm", args, { cwd: root, env, logger: options.logger, ecosystem: "nodejs" });
      packages += project.packages;
    }
    return { packages, projects: manifest.projects.map((p) => p.root) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const TOOL_HINT: Record<string, string> = {
  python3: "install python3 (with its venv module, e.g. Debian's python3-venv)",
  npm: "install Node.js with npm",
};

async function tool(
  cmd: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; logger?: ModuleLogger; ecosystem: string },
): Promise<void> {
  const name = cmd.endsWith("/python") ? "python3" : cmd;
  const r = await runTool(cmd, args, {
    cwd: options.cwd,
    env: options.env,
    logger: options.logger,
    keep: (l) => /ERROR|error|ensurepip|No module named/.test(l),
    tail: 15,
  }).catch((e) => {
    throw e instanceof ToolMissing
      ? new DependencyError(
        `${name} is not installed on this host: ${TOOL_HINT[name] ?? `install ${name}`}`,
        {
          ecosystem: options.ecosystem,
          kind: "tool_missing",
        },
      )
      : e;
  });
  if (r.code === 0) return;
  const text = r.lines.join("\n");
  if (/ensurepip is not available|No module named (venv|ensurepip|pip)/.test(text)) {
    throw new DependencyError(`python3 cannot create a virtualenv on this host: ${TOOL_HINT.python3}`, {
      ecosystem: options.ecosystem,
      kind: "tool_missing",
    });
  }
  const detail = r.lines.filter((l) => /ERROR|npm error|npm ERR!/.test(l)).slice(0, 6);
  throw new DependencyError(
    `offline install failed (${name} exited with ${r.code}): ${
      (detail.length ? detail : r.lines.slice(-4)).join(" ")
    }`,
    { ecosystem: options.ecosystem, kind: "failed" },
  );
}
