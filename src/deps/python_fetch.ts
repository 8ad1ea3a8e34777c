import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import type { ModuleLogger } from "../log/logger.ts";
import { EXPORT_REQUIREMENTS, INSPECT_DISTRIBUTIONS } from "./_python_scripts.ts";
import { classifyPipFailure, indexUrls, isPipSignal, pipFetchEnv, targetArgs } from "./_pip.ts";
import { hashFile, stripCredentials } from "./_fs.ts";
import { runTool, ToolMissing } from "./_run.ts";
import type { PythonProject } from "./detect.ts";
import { DependencyError } from "./errors.ts";
import { projectPath, type PythonManifest, type PythonPackage } from "./manifests.ts";
import { materialise, readTreeFile } from "./tree.ts";

/** Options of {@link fetchPython}. */
export interface FetchPythonOptions {
  /** Bare repository whose default branch is read. */
  gitDir: string;
  /** Every file path of that tree (to resolve `-r other.txt`). */
  treePaths: string[];
  /** Private scratch directory (removed by the caller). */
  work: string;
  env: Record<string, string | undefined>;
  logger?: ModuleLogger;
  pip?: { pythonVersion?: string; platforms?: string[]; onlyBinary?: string };
}

interface Inspected {
  file: string;
  name: string;
  version: string;
  license: string | null;
  kind: "wheel" | "sdist";
  build_requires: string[] | null;
}

/**
 * Downloads every Python project's pinned dependencies (and the build requirements of any sdist)
 * with `pip download` into `outDir/packages/`, writes per project a hash-pinned requirements file and
 * `outDir/manifest.json`. Throws {@link DependencyError} when pip or python3 fails.
 */
export async function fetchPython(
  projects: PythonProject[],
  outDir: string,
  options: FetchPythonOptions,
): Promise<PythonManifest> {
  const env = pipFetchEnv(options.env, options.work);
  const indexes = indexUrls(options.env);
  const pool = join(outDir, "packages");
  mkdirSync(pool, { recursive: true });
  const manifest: PythonManifest = {
    format_version: 1,
    ecosystem: "python",
    index_urls: indexes.map(stripCredentials),
    target: {
      python_version: options.pip?.pythonVersion,
      platforms: options.pip?.platforms,
      only_binary: options.pip?.onlyBinary,
    },
    projects: [],
    packages: [],
  };
  const carried = new Map<string, PythonPackage>();
  for (const [i, project] of projects.entries()) {
    const ws = join(options.work, "python", String(i));
    const dl = join(options.work, "python-dl", String(i));
    mkdirSync(dl, { recursive: true });
    const { reqFiles, noDeps, skipped } = await prepare(project, ws, options, env);
    const base = ["-m", "pip", "download", "-vv", "--retries", "2", "--timeout", "30", "--dest", dl];
    const target = targetArgs(options.pip);
    if (reqFiles.length > 0) {
      await pip(
        [...base, ...reqFiles.flatMap((f) => ["-r", f]), ...(noDeps ? ["--no-deps"] : []), ...target],
        { cwd: join(ws, project.root), env, indexes, logger: options.logger },
      ).catch((e) => {
        if (!(e instanceof DependencyError) || e.kind !== "not_found" || !target.includes("--only-binary")) {
          throw e;
        }
        throw new DependencyError(
          `${e.message} as a wheel for the target (--only-binary ${
            target[target.indexOf("--only-binary") + 1]
          }` +
            " with --python-version/--platform: a package with no matching wheel cannot be fetched)",
          { ecosystem: "python", kind: "not_found" },
        );
      });
    }
    const runtime = await inspect(dl, env, options.logger);
    const needs = [...new Set(runtime.flatMap((p) => p.build_requires ?? []))];
    if (needs.length > 0) {
      const onlyBin = target.includes("--only-binary") ? target : [...target, "--only-binary", ":all:"];
      await pip([...base, ...needs, ...onlyBin], { cwd: dl, env, indexes, logger: options.logger });
    }
    const runtimeFiles = new Set(runtime.map((p) => p.file));
    const all = await inspect(dl, env, options.logger);
    const pins = new Map<string, string[]>();
    for (const dist of all) {
      const role = runtimeFiles.has(dist.file) ? "runtime" : "build";
      const entry = await addToPool(dist, role, dl, pool, carried);
      if (role !== "runtime") continue;
      const pin = `${dist.name.toLowerCase().replace(/[-_.]+/g, "-")}==${dist.version}`;
      pins.set(pin, [...(pins.get(pin) ?? []), entry.sha256]);
    }
    const reqRel = projectPath(project.root, "requirements.txt");
    mkdirSync(dirname(join(outDir, reqRel)), { recursive: true });
    const lines = [...pins].sort().map(([pin, hashes]) =>
      `${pin} ${[...new Set(hashes)].map((h) => `--hash=sha256:${h}`).join(" ")}`
    );
    writeFileSync(
      join(outDir, reqRel),
      `# Pinned by repo-cloner from ${project.files.join(", ")} — install with:\n` +
        `#   pip install --no-index --find-links packages --require-hashes -r ${reqRel}\n` +
        lines.join("\n") + (lines.length ? "\n" : ""),
    );
    manifest.projects.push({
      root: project.root,
      sources: project.files,
      requirements: reqRel,
      packages: [...pins.keys()].sort(),
      skipped,
    });
  }
  manifest.packages = [...carried.values()].sort((a, b) => a.filename.localeCompare(b.filename));
  writeFileSync(join(outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

async function addToPool(
  dist: Inspected,
  role: "runtime" | "build",
  from: string,
  pool: string,
  carried: Map<string, PythonPackage>,
): Promise<PythonPackage> {
  const src = join(from, dist.file);
  const { sha256, size } = await hashFile(src);
  const filename = `packages/${dist.file}`;
  const known = carried.get(filename);
  if (known && known.sha256 !== sha256) {
    throw new DependencyError(
      `two different files are both named "${dist.file}" (sha256 ${known.sha256} and ${sha256})`,
      { ecosystem: "python", kind: "failed" },
    );
  }
  if (!known) copyFileSync(src, join(pool, dist.file));
  const entry: PythonPackage = known ?? {
    name: dist.name,
    version: dist.version,
    filename,
    sha256,
    size,
    ...(dist.license ? { license: dist.license } : {}),
    kind: dist.kind,
    role,
  };
  if (role === "runtime") entry.role = "runtime";
  carried.set(filename, entry);
  return entry;
}

/** Materialises the project's files and returns the requirement files pip reads (relative to the root). */
async function prepare(
  project: PythonProject,
  ws: string,
  options: FetchPythonOptions,
  env: Record<string, string>,
): Promise<{ reqFiles: string[]; noDeps: boolean; skipped: string[] }> {
  const rootDir = join(ws, project.root);
  mkdirSync(rootDir, { recursive: true });
  if (project.source === "requirements") {
    const skipped: string[] = [];
    const tree = new Set(options.treePaths);
    const queue = [...project.files];
    const seen = new Set<string>();
    while (queue.length > 0 && seen.size < 100) {
      const path = queue.shift()!;
      if (seen.has(path) || !tree.has(path)) continue;
      seen.add(path);
      const text = await readTreeFile(options.gitDir, path, { logger: options.logger });
      const out: string[] = [];
      for (const line of text.split(/\r?\n/)) {
        const ref = /^\s*(?:-r|--requirement|-c|--constraint)[\s=]+(\S+)/.exec(line);
        if (ref) queue.push(posix.normalize(posix.join(posix.dirname(path), ref[1])));
        if (/^\s*(-e|--editable)\b|^\s*(\.|\/|file:)|@\s*file:/.test(line)) {
          skipped.push(line.trim());
          out.push(`# repo-cloner: local requirement not carried: ${line.trim()}`);
        } else out.push(line);
      }
      mkdirSync(dirname(join(ws, path)), { recursive: true });
      writeFileSync(join(ws, path), out.join("\n"));
    }
    const reqFiles = project.files.map((f) => project.root === "." ? f : posix.relative(project.root, f));
    return { reqFiles, noDeps: false, skipped };
  }
  await materialise(options.gitDir, ws, { paths: project.files, logger: options.logger });
  const lock = project.files.find((f) => /(poetry|uv)\.lock$/.test(f));
  const pyproject = project.files.find((f) => f.endsWith("pyproject.toml"));
  const r = await python(
    ["-c", EXPORT_REQUIREMENTS],
    env,
    options.logger,
    JSON.stringify({
      source: project.source,
      lock: lock ? join(ws, lock) : undefined,
      pyproject: pyproject ? join(ws, pyproject) : undefined,
    }),
  );
  const exported = JSON.parse(r) as {
    requirements: string[];
    no_deps: boolean;
    skipped: string[];
    error?: string;
  };
  if (exported.error) {
    throw new DependencyError(`unsupported lockfile in "${project.root}": ${exported.error}`, {
      ecosystem: "python",
      kind: "unsupported",
    });
  }
  if (exported.requirements.length === 0) return { reqFiles: [], noDeps: true, skipped: exported.skipped };
  writeFileSync(join(rootDir, "repo-cloner-export.txt"), exported.requirements.join("\n") + "\n");
  return { reqFiles: ["repo-cloner-export.txt"], noDeps: exported.no_deps, skipped: exported.skipped };
}

async function inspect(
  dir: string,
  env: Record<string, string>,
  logger?: ModuleLogger,
): Promise<Inspected[]> {
  const files = readdirSync(dir).filter((f) => /\.(whl|tar\.gz|tgz|tar\.bz2|tar|zip)$/.test(f)).sort();
  if (files.length === 0) return [];
  const out = await python(
    ["-c", INSPECT_DISTRIBUTIONS],
    env,
    logger,
    JSON.stringify({
      files: files.map((f) => join(dir, f)),
    }),
  );
  return JSON.parse(out) as Inspected[];
}

async function python(
  args: string[],
  env: Record<string, string>,
  logger: ModuleLogger | undefined,
  input: string,
): Promise<string> {
  const r = await runTool("python3", args, { env, logger, captureStdout: true, input }).catch((e) => {
    throw e instanceof ToolMissing
      ? new DependencyError("python3 is not installed on this host: install python3 with pip", {
        ecosystem: "python",
        kind: "tool_missing",
      })
      : e;
  });
  if (r.code !== 0) {
    throw new DependencyError(`python3 failed: ${r.lines.slice(-3).join(" ")}`, {
      ecosystem: "python",
      kind: "failed",
    });
  }
  return r.stdout;
}

async function pip(
  args: string[],
  options: { cwd: string; env: Record<string, string>; indexes: string[]; logger?: ModuleLogger },
): Promise<void> {
  if (!existsSync(options.cwd)) mkdirSync(options.cwd, { recursive: true });
  const r = await runTool("python3", args, {
    cwd: options.cwd,
    env: options.env,
    logger: options.logger,
    keep: isPipSignal,
    tail: 20,
  }).catch((e) => {
    throw e instanceof ToolMissing
      ? new DependencyError("python3 is not installed on this host: install python3 with pip", {
        ecosystem: "python",
        kind: "tool_missing",
      })
      : e;
  });
  if (r.code !== 0) {
    if (r.lines.some((l) => /No module named pip/.test(l))) {
      throw new DependencyError("pip is not installed for python3: install python3-pip", {
        ecosystem: "python",
        kind: "tool_missing",
      });
    }
    throw classifyPipFailure(r.lines, options.indexes);
  }
}

/** Reads a file written by {@link fetchPython} (for tests and the install side). */
export function readPythonManifest(dir: string): PythonManifest {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as PythonManifest;
}
