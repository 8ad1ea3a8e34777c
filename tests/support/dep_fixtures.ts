/**
 * Fixtures for the dependency tests: a PEP 503 index and an npm registry on loopback serving
 * packages built here from fixtures (nothing downloaded), and repositories whose projects pin them,
 * with lockfiles made by the real npm against the test registry. Each repository is committed and
 * mirrored to a bare clone, as the archive pipeline sees it.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { git } from "../../src/git/git.ts";
import { FIXTURE_GIT } from "./fixture_repo.ts";
import { type NpmFixture, type NpmRegistry, packFixtures, startNpmRegistry } from "./npm_registry.ts";
import { buildPyFixtures, type PyFixture } from "./py_fixtures.ts";
import { type PypiServer, startPypiServer } from "./pypi_server.ts";

/** Python fixtures: `alpha` needs `beta` (transitive), `gamma-src` exists only as an sdist. */
export const PY_FIXTURES: PyFixture[] = [
  { name: "alpha", version: "1.0", module: "alpha", requires: ["beta>=1.0"], license: "MIT" },
  { name: "beta", version: "1.2", module: "beta", license: "Apache-2.0" },
  { name: "gamma-src", version: "0.3", module: "gamma", kind: "sdist", license: "BSD-3-Clause" },
  { name: "delta", version: "2.0", module: "delta" },
  { name: "eps-src", version: "1.0", module: "eps", kind: "sdist", buildRequires: ["buildhelper==1.0"] },
  { name: "buildhelper", version: "1.0", module: "buildhelper" },
];

/** npm fixtures: a scoped package and a tree three levels deep (top → mid → leaf). */
export const NPM_FIXTURES: NpmFixture[] = [
  { name: "@acme/util", version: "1.0.0", license: "MIT" },
  { name: "top", version: "1.0.0", dependencies: { mid: "^1.0.0" }, license: "ISC" },
  { name: "mid", version: "1.0.0", dependencies: { leaf: "1.0.0" } },
  { name: "leaf", version: "1.0.0" },
  { name: "solo", version: "2.1.0" },
  {
    name: "hooked",
    version: "1.0.0",
    scripts: { postinstall: "node -e \"require('fs').writeFileSync('installed.marker', 'ran')\"" },
  },
];

/** The two servers and what to tell the clients. */
export interface DepServers {
  pypi: PypiServer;
  npm: NpmRegistry;
  pyDir: string;
  close(): Promise<void>;
}

/** Options of {@link startDepServers}. */
export interface DepServerOptions {
  pyAuth?: { username: string; password: string };
  npmToken?: string;
  /** Leave these package names out of the servers (the "unknown package" cases). */
  without?: string[];
}

/** Builds the fixture packages in `dir` and starts both servers. */
export async function startDepServers(dir: string, options: DepServerOptions = {}): Promise<DepServers> {
  const without = new Set(options.without ?? []);
  const pyDir = join(dir, "py-dist");
  buildPyFixtures(PY_FIXTURES.filter((f) => !without.has(f.name)), pyDir);
  const pypi = await startPypiServer({ dir: pyDir, auth: options.pyAuth });
  const built = packFixtures(NPM_FIXTURES.filter((f) => !without.has(f.name)), join(dir, "npm-dist"));
  const npm = await startNpmRegistry(built, { token: options.npmToken });
  return {
    pypi,
    npm,
    pyDir,
    close: async () => {
      await pypi.close();
      await npm.close();
    },
  };
}

/**
 * A clean environment for the clients: PATH and HOME only, no pip or npm config from this machine
 * (which may point at local wheel folders or other registries), the test servers as index and registry.
 */
export function clientEnv(
  dir: string,
  servers: { pypiUrl: string; npmUrl: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  const npmrc = join(dir, "empty-npmrc");
  const globalrc = join(dir, "empty-npmrc-global");
  writeFileSync(npmrc, "");
  writeFileSync(globalrc, "");
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    TMPDIR: process.env.TMPDIR ?? "/tmp",
    PIP_CONFIG_FILE: "/dev/null",
    PIP_NO_CACHE_DIR: "1",
    PIP_INDEX_URL: servers.pypiUrl,
    NPM_CONFIG_REGISTRY: servers.npmUrl,
    npm_config_userconfig: npmrc,
    npm_config_globalconfig: globalrc,
    ...extra,
  };
}

/** One project of a fixture repository. */
export interface ProjectSpec {
  /** Directory in the repository ("." for the top). */
  root: string;
  /** Files to write, relative to the root. */
  files?: Record<string, string>;
  /** npm dependencies: a package.json is written and a lockfile made by `npm install --package-lock-only`. */
  npmDependencies?: Record<string, string>;
  /** Leave `resolved` out of the lockfile (npm's omit-lockfile-registry-resolved). */
  omitResolved?: boolean;
}

/**
 * Builds a repository of `projects` in `<dir>/<name>`, commits it and returns the path of a bare
 * mirror clone (what `fetchDependencies` reads). `npmUrl`/`npmToken` are used to make lockfiles.
 */
export async function buildProjectRepo(
  dir: string,
  name: string,
  options: { projects: ProjectSpec[]; npmUrl?: string; npmToken?: string },
): Promise<{ work: string; bare: string }> {
  const work = join(dir, name);
  mkdirSync(work, { recursive: true });
  for (const p of options.projects) {
    const root = join(work, p.root);
    mkdirSync(root, { recursive: true });
    for (const [f, content] of Object.entries(p.files ?? {})) {
      mkdirSync(join(root, f, ".."), { recursive: true });
      writeFileSync(join(root, f), content);
    }
    if (p.npmDependencies) {
      const pkg = {
        name: p.root === "." ? name : p.root.replace(/\W+/g, "-"),
        version: "1.0.0",
        private: true,
      };
      writeFileSync(
        join(root, "package.json"),
        JSON.stringify({ ...pkg, dependencies: p.npmDependencies }, null, 2),
      );
      await makeLockfile(root, {
        npmUrl: options.npmUrl!,
        token: options.npmToken,
        omitResolved: p.omitResolved,
        scratch: join(dir, `${name}-lock-scratch`),
      });
    }
  }
  const run = (args: string[], cwd = work) => git(args, { ...FIXTURE_GIT, cwd });
  await run(["init", "-q", "-b", "main"]);
  await run(["add", "-A"]);
  await run(["commit", "-q", "-m", "projects"]);
  const bare = join(dir, `${name}.git`);
  await run(["clone", "-q", "--mirror", work, bare], dir);
  return { work, bare };
}

/** Async on purpose: the registry answering npm runs in this same process. */
async function makeLockfile(
  root: string,
  o: { npmUrl: string; token?: string; omitResolved?: boolean; scratch: string },
): Promise<void> {
  mkdirSync(o.scratch, { recursive: true });
  const npmrc = join(o.scratch, o.omitResolved ? "npmrc-omit" : "npmrc");
  writeFileSync(npmrc, o.omitResolved ? "omit-lockfile-registry-resolved=true\n" : "");
  writeFileSync(join(o.scratch, "npmrc-global"), "");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    npm_config_userconfig: npmrc,
    npm_config_globalconfig: join(o.scratch, "npmrc-global"),
    npm_config_cache: join(o.scratch, "cache"),
    npm_config_registry: o.npmUrl,
    npm_config_update_notifier: "false",
  };
  if (o.token) env[`npm_config_${o.npmUrl.replace(/^https?:/, "")}:_authToken`] = o.token;
  await promisify(execFile)("npm", [
    "install",
    "--package-lock-only",
    "--ignore-scripts",
    "--no-audit",
    "--no-fund",
  ], {
    cwd: root,
    env,
  });
}
