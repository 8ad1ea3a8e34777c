import { ECOSYSTEM_LABEL, SETUP_SCRIPT } from "./ecosystems.ts";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type ModuleLogger, nullLogger } from "../log/logger.ts";
import { redactor } from "../log/redact.ts";
import { listFiles } from "./_fs.ts";
import { PYPI } from "./_pip.ts";
import { detectProjects, type PythonProject } from "./detect.ts";
import { DependencyError } from "./errors.ts";
import { fetchNode } from "./npm_fetch.ts";
import { fetchPython } from "./python_fetch.ts";
import { nodeSetupScript, pythonSetupScript } from "./setup_scripts.ts";
import { listTree, readTreeFile } from "./tree.ts";
import type {
  DependencyProgress,
  EcosystemResult,
  FetchDependenciesOptions,
  InstallDependenciesOptions,
} from "./types.ts";

export type { DependencyProgress, EcosystemResult, FetchDependenciesOptions, InstallDependenciesOptions };
export { DependencyError } from "./errors.ts";
export { installDependencies } from "./install_dependencies.ts";

/**
 * Detects and fetches the dependencies of the repository whose (bare) git directory is `gitDir`,
 * reading its default branch's whole tree (every project root), into `depsDir` (the archive's
 * `dependencies/` staging folder): `python/{packages/, requirements.txt, manifest.json}` and
 * `nodejs/{npm-cache/, package-lock.json, manifest.json}`, other roots under `<eco>/projects/<root>/`.
 * The setup scripts go to the sibling `restore-scripts/`. Progress events: first
 * `{ecosystem: "all", phase: "start", message: "Found 2 language(s): Python, Node.js"}`, then per
 * ecosystem "start" ("Fetching from PyPI..."), "done" ("Fetched 15 packages") or "warning"
 * ("Could not fetch dependencies: …", also for unsupported lockfiles).
 *
 * A failing ecosystem is marked "missing" with its reason and its partial files removed, so the
 * archive stays valid; with `strict` the {@link DependencyError} is thrown instead (exit 1, or 5 for
 * rejected credentials). Returns [] when the tree has no project of a supported ecosystem.
 */
export async function fetchDependencies(
  gitDir: string,
  depsDir: string,
  options: FetchDependenciesOptions = {},
): Promise<EcosystemResult[]> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? nullLogger();
  const progress: DependencyProgress = options.progress ?? (() => {});
  const paths = await listTree(gitDir, { logger });
  const found = detectProjects(paths);
  found.python = await keepRealPyprojects(gitDir, found.python, logger);
  const ecosystems = (["python", "nodejs"] as const).filter((e) =>
    found[e].length > 0 || found.unsupported.some((u) => u.ecosystem === e)
  );
  if (ecosystems.length === 0) return [];
  progress({
    ecosystem: "all",
    label: "",
    phase: "start",
    message: `Found ${ecosystems.length} language(s): ${
      ecosystems.map((e) => ECOSYSTEM_LABEL[e]).join(", ")
    }`,
  });
  logger.info("Dependencies detected", {
    ecosystems,
    projects: Object.fromEntries(ecosystems.map((e) => [e, found[e].map((p) => p.root)])),
    unsupported: found.unsupported.map((u) => u.file),
  });
  const work = mkdtempSync(join(tmpdir(), "rc-deps-"));
  const results: EcosystemResult[] = [];
  try {
    for (const eco of ecosystems) {
      results.push(
        await fetchOne(eco, { gitDir, depsDir, work, env, logger, progress, options, found, paths }),
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return results;
}

interface FetchContext {
  gitDir: string;
  depsDir: string;
  work: string;
  env: Record<string, string | undefined>;
  logger: ModuleLogger;
  progress: DependencyProgress;
  options: FetchDependenciesOptions;
  found: ReturnType<typeof detectProjects>;
  paths: string[];
}

async function fetchOne(eco: "python" | "nodejs", ctx: FetchContext): Promise<EcosystemResult> {
  const label = ECOSYSTEM_LABEL[eco];
  const projects = ctx.found[eco];
  const unsupported = ctx.found.unsupported.filter((u) => u.ecosystem === eco);
  const result: EcosystemResult = {
    ecosystem: eco,
    label,
    status: "included",
    packages: 0,
    projects: projects.map((p) => p.root),
    files: [],
  };
  for (const u of unsupported) ctx.progress({ ecosystem: eco, label, phase: "warning", message: u.reason });
  if (projects.length === 0) {
    return { ...result, status: "unsupported", reason: unsupported.map((u) => u.reason).join("; ") };
  }
  const outDir = join(ctx.depsDir, eco);
  const scriptsDir = join(dirname(ctx.depsDir), "restore-scripts");
  const source = eco === "python" ? pythonSource(ctx.env) : "npm";
  ctx.progress({ ecosystem: eco, label, phase: "start", message: `Fetching from ${source}...` });
  const started = Date.now();
  try {
    const work = join(ctx.work, eco);
    mkdirSync(work, { recursive: true });
    let packages: number;
    let script: string;
    if (eco === "python") {
      const m = await fetchPython(projects as PythonProject[], outDir, {
        gitDir: ctx.gitDir,
        treePaths: ctx.paths,
        work,
        env: ctx.env,
        logger: ctx.logger,
        pip: ctx.options.pip,
      });
      packages = m.packages.filter((p) => p.role === "runtime").length;
      script = pythonSetupScript(m);
    } else {
      const m = await fetchNode(ctx.found.nodejs, outDir, {
        gitDir: ctx.gitDir,
        work,
        env: ctx.env,
        logger: ctx.logger,
      });
      packages = m.packages.length;
      script = nodeSetupScript(m);
    }
    mkdirSync(scriptsDir, { recursive: true });
    writeFileSync(join(scriptsDir, SETUP_SCRIPT[eco]), script, { mode: 0o755 });
    const files = listFiles(outDir).map((f) => `dependencies/${eco}/${f}`);
    const bytes = files.reduce(
      (n, f) => n + statSync(join(ctx.depsDir, f.slice("dependencies/".length))).size,
      0,
    );
    result.files = [...files, `restore-scripts/${SETUP_SCRIPT[eco]}`];
    result.packages = packages;
    result.bytes = bytes;
    if (unsupported.length > 0) result.reason = unsupported.map((u) => u.reason).join("; ");
    ctx.progress({ ecosystem: eco, label, phase: "done", message: `Fetched ${packages} packages`, packages });
    ctx.logger.info("Dependencies fetched", {
      ecosystem: eco,
      packages,
      size_bytes: bytes,
      projects: result.projects,
      duration_seconds: (Date.now() - started) / 1000,
      status: "success",
    });
    return result;
  } catch (e) {
    rmSync(outDir, { recursive: true, force: true });
    rmSync(join(scriptsDir, SETUP_SCRIPT[eco]), { force: true });
    const err = e instanceof DependencyError
      ? e
      : new DependencyError(e instanceof Error ? e.message : String(e), {
        ecosystem: eco,
        kind: "failed",
        cause: e,
      });
    const reason = redactor.redact(err.message);
    ctx.logger.warning("Could not fetch dependencies", {
      ecosystem: eco,
      error: reason,
      error_type: err.errorType,
      duration_seconds: (Date.now() - started) / 1000,
      status: "failure",
    });
    if (ctx.options.strict) {
      throw new DependencyError(
        `Cannot fetch ${label} dependencies: ${reason}. ` +
          "Fix the cause, or drop --strict-dependencies to archive without them",
        {
          ecosystem: eco,
          kind: err.kind,
          cause: err,
        },
      );
    }
    ctx.progress({
      ecosystem: eco,
      label,
      phase: "warning",
      message: `Could not fetch dependencies: ${reason}`,
    });
    return { ...result, status: "missing", reason, files: [] };
  }
}

function pythonSource(env: Record<string, string | undefined>): string {
  const index = env.PIP_INDEX_URL?.trim();
  if (!index || index.replace(/\/+$/, "") === PYPI) return "PyPI";
  return `PyPI index ${redactor.redact(index)}`;
}

/** A pyproject.toml alone marks a Python project only when it declares dependencies (PEP 621 or Poetry). */
async function keepRealPyprojects(
  gitDir: string,
  projects: PythonProject[],
  logger: ModuleLogger,
): Promise<PythonProject[]> {
  const out: PythonProject[] = [];
  for (const p of projects) {
    if (p.source !== "pep621") {
      out.push(p);
      continue;
    }
    const text = await readTreeFile(gitDir, p.files[0], { logger });
    if (/^\s*dependencies\s*=/m.test(text) || /^\s*\[tool\.poetry/m.test(text)) out.push(p);
  }
  return out;
}
