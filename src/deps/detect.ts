import { posix } from "node:path";

/** How a Python project pins its dependencies. */
export type PythonSource = "requirements" | "poetry" | "uv" | "pep621";

/** A Python project root found in the tree. */
export interface PythonProject {
  /** Directory relative to the repository root ("." for the top). */
  root: string;
  source: PythonSource;
  /** Tree paths to read for this project (requirement files, lock, pyproject.toml). */
  files: string[];
}

/** A Node.js project root: a directory holding an npm lockfile. */
export interface NodeProject {
  root: string;
  /** Tree path of `npm-shrinkwrap.json` (preferred, as npm does) or `package-lock.json`. */
  lockfile: string;
  /** Tree paths to materialise: the lockfile, `.npmrc`, and every package.json of the root and its workspaces. */
  files: string[];
}

/** A root we found but cannot carry, with the reason shown to the user. */
export interface UnsupportedProject {
  ecosystem: "python" | "nodejs";
  root: string;
  file: string;
  reason: string;
}

/** What {@link detectProjects} found. */
export interface Detection {
  python: PythonProject[];
  nodejs: NodeProject[];
  unsupported: UnsupportedProject[];
}

/** Directories that hold installed or generated packages, never project roots. */
const IGNORED_DIRS = new Set([
  "node_modules",
  "bower_components",
  ".venv",
  "venv",
  "site-packages",
  ".tox",
  "__pycache__",
  ".git",
]);

const REQUIREMENTS = /^requirements.*\.txt$/i;

/**
 * Finds every Python and Node.js project root in a repository tree, given its file paths (as from
 * `git ls-tree -r`). Pure. Python: `poetry.lock` or `uv.lock` (pinned locks) win over
 * `requirements*.txt`, which win over a `pyproject.toml` `[project]` table (checked later, from its
 * content). Node.js: `npm-shrinkwrap.json` or `package-lock.json`; a directory with only `yarn.lock`
 * or `pnpm-lock.yaml`, or a `package.json` with no lockfile outside any npm root, is reported as
 * unsupported rather than silently skipped. Results are sorted by root.
 */
export function detectProjects(paths: string[]): Detection {
  const dirs = new Map<string, Set<string>>();
  for (const p of paths) {
    const parts = p.split("/");
    if (parts.slice(0, -1).some((d) => IGNORED_DIRS.has(d))) continue;
    const dir = posix.dirname(p);
    if (!dirs.has(dir)) dirs.set(dir, new Set());
    dirs.get(dir)!.add(parts[parts.length - 1]);
  }
  const at = (dir: string, name: string) => (dir === "." ? name : `${dir}/${name}`);
  const python: PythonProject[] = [];
  const nodejs: NodeProject[] = [];
  const unsupported: UnsupportedProject[] = [];
  const sorted = [...dirs.keys()].sort();
  for (const dir of sorted) {
    const names = dirs.get(dir)!;
    const py = pythonProject(dir, names, at);
    if (py) python.push(py);
    else if (names.has("Pipfile.lock")) {
      unsupported.push({
        ecosystem: "python",
        root: dir,
        file: at(dir, "Pipfile.lock"),
        reason: `unsupported lockfile "${at(dir, "Pipfile.lock")}": export it to requirements.txt`,
      });
    }
    const lock = names.has("npm-shrinkwrap.json")
      ? "npm-shrinkwrap.json"
      : names.has("package-lock.json")
      ? "package-lock.json"
      : undefined;
    if (lock) nodejs.push({ root: dir, lockfile: at(dir, lock), files: [] });
  }
  const nodeRoots = nodejs.map((n) => n.root);
  const inside = (dir: string, roots: string[]) =>
    roots.some((r) => r === "." || dir === r || dir.startsWith(`${r}/`));
  const otherLockRoots: string[] = [];
  for (const dir of sorted) {
    const names = dirs.get(dir)!;
    if (inside(dir, nodeRoots)) continue;
    const other = ["yarn.lock", "pnpm-lock.yaml"].find((n) => names.has(n));
    if (other) {
      otherLockRoots.push(dir);
      unsupported.push({
        ecosystem: "nodejs",
        root: dir,
        file: at(dir, other),
        reason: `unsupported lockfile "${at(dir, other)}": only package-lock.json and npm-shrinkwrap.json ` +
          "are supported (create one with `npm install --package-lock-only`)",
      });
    }
  }
  for (const dir of sorted) {
    const names = dirs.get(dir)!;
    if (!names.has("package.json") || inside(dir, nodeRoots) || inside(dir, otherLockRoots)) continue;
    unsupported.push({
      ecosystem: "nodejs",
      root: dir,
      file: at(dir, "package.json"),
      reason:
        `"${at(dir, "package.json")}" has no package-lock.json: run \`npm install --package-lock-only\` ` +
        "and commit the lockfile",
    });
  }
  for (const node of nodejs) {
    const nested = nodeRoots.filter((r) => r !== node.root && inside(r, [node.root]));
    for (const dir of sorted) {
      if (!inside(dir, [node.root]) || nested.some((r) => inside(dir, [r]))) continue;
      const names = dirs.get(dir)!;
      if (names.has("package.json")) node.files.push(at(dir, "package.json"));
    }
    const names = dirs.get(node.root)!;
    node.files.push(node.lockfile);
    if (names.has(".npmrc")) node.files.push(at(node.root, ".npmrc"));
  }
  return { python, nodejs, unsupported };
}

function pythonProject(
  dir: string,
  names: Set<string>,
  at: (dir: string, name: string) => string,
): PythonProject | undefined {
  const pyproject = names.has("pyproject.toml") ? [at(dir, "pyproject.toml")] : [];
  if (names.has("poetry.lock")) {
    return { root: dir, source: "poetry", files: [at(dir, "poetry.lock"), ...pyproject] };
  }
  if (names.has("uv.lock")) return { root: dir, source: "uv", files: [at(dir, "uv.lock"), ...pyproject] };
  const reqs = [...names].filter((n) => REQUIREMENTS.test(n)).sort();
  if (reqs.length > 0) return { root: dir, source: "requirements", files: reqs.map((n) => at(dir, n)) };
  if (pyproject.length > 0) return { root: dir, source: "pep621", files: pyproject };
  return undefined;
}
