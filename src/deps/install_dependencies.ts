import { ECOSYSTEM_LABEL, SETUP_SCRIPT } from "./ecosystems.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { nullLogger } from "../log/logger.ts";
import { redactor } from "../log/redact.ts";
import { DependencyError } from "./errors.ts";
import { installNode, installPython } from "./install.ts";
import type { DependencyProgress, EcosystemResult, InstallDependenciesOptions } from "./types.ts";

/**
 * Installs the carried dependencies, offline, into the restored repository `repoDir` from `depsDir`
 * (the extracted `dependencies/` folder): Python into `<root>/.venv` with `pip install --no-index
 * --require-hashes`, Node.js with `npm ci --offline` against the carried cache. Network access is made
 * impossible (see `offline_env.ts`). Never throws for an ecosystem failure: a missing python3 or npm,
 * or a failed install, is returned as status "missing" with a reason that says which tool is missing
 * and that the repository itself was restored (progress "warning"). Ecosystems with nothing carried
 * are left out.
 */
export async function installDependencies(
  repoDir: string,
  depsDir: string,
  options: InstallDependenciesOptions = {},
): Promise<EcosystemResult[]> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? nullLogger();
  const progress: DependencyProgress = options.progress ?? (() => {});
  const results: EcosystemResult[] = [];
  for (const eco of ["python", "nodejs"] as const) {
    const dir = join(depsDir, eco);
    if (!existsSync(join(dir, "manifest.json"))) continue;
    const label = ECOSYSTEM_LABEL[eco];
    progress({ ecosystem: eco, label, phase: "start", message: "Installing from offline cache..." });
    const started = Date.now();
    try {
      const run = eco === "python" ? installPython : installNode;
      const out = await run(repoDir, dir, { env, logger, allowInstallScripts: options.allowInstallScripts });
      progress({
        ecosystem: eco,
        label,
        phase: "done",
        message: `Installed ${out.packages} packages`,
        packages: out.packages,
      });
      logger.info("Dependencies installed", {
        ecosystem: eco,
        packages: out.packages,
        projects: out.projects,
        duration_seconds: (Date.now() - started) / 1000,
        status: "success",
      });
      results.push({
        ecosystem: eco,
        label,
        status: "included",
        packages: out.packages,
        projects: out.projects,
        files: [],
      });
    } catch (e) {
      const err = e instanceof DependencyError
        ? e
        : new DependencyError(e instanceof Error ? e.message : String(e), {
          ecosystem: eco,
          kind: "failed",
          cause: e,
        });
      const reason = `${redactor.redact(err.message)}. The repository itself was restored to "${repoDir}"; ` +
        `install the dependencies later with "sh restore-scripts/${
          SETUP_SCRIPT[eco]
        } ${repoDir}" from the extracted archive`;
      progress({
        ecosystem: eco,
        label,
        phase: "warning",
        message: `Could not install dependencies: ${reason}`,
      });
      logger.warning("Could not install dependencies", {
        ecosystem: eco,
        error: reason,
        error_type: err.kind === "tool_missing" ? "ToolMissing" : err.errorType,
        status: "failure",
      });
      results.push({
        ecosystem: eco,
        label,
        status: "missing",
        reason,
        packages: 0,
        projects: [],
        files: [],
      });
    }
  }
  return results;
}
