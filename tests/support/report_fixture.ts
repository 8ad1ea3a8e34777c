/**
 * An archive made by the compiled binary from a repository built to stress the transfer report: Python
 * and Node.js projects whose dependencies come from the loopback index and registry (credentials: the
 * CANARY; `hooked` has a postinstall script, `gamma-src` is an sdist), a branch and a file whose names
 * are HTML, an author whose name has quotes and an ampersand, and a binary file.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { git } from "../../src/git/git.ts";
import { CANARY, runBinary, type RunResult, tempDir } from "./binary.ts";
import { buildProjectRepo, clientEnv, startDepServers } from "./dep_fixtures.ts";
import { FIXTURE_GIT } from "./fixture_repo.ts";

/** Branch whose name is markup (valid per git-check-ref-format). */
export const XSS_BRANCH = "<script>alert(1)</script>";
/** A binary file whose name is markup. */
export const XSS_FILE = "assets/<img src=x onerror=alert(2)>.bin";
/** An author whose name needs escaping (git strips `<` and `>` from names). */
export const ODD_AUTHOR = `O'Brien "Ops" & Co`;

/** A second author, only in the incremental's commits. */
export const NEW_AUTHOR = { name: "Nina Newcomer", email: "nina@example.test" };
/** The binary file the incremental adds. */
export const NEW_BINARY = "assets/new-logo.png";

/** What {@link makeReportArchive} made. */
export interface ReportArchive {
  dir: string;
  /** Working repository archived. */
  work: string;
  /** The full archive's path. */
  archive: string;
  create: RunResult;
  /** The repository's refs (refname → object id) when the full archive was made. */
  refsAtFull: Record<string, string>;
  /**
   * With `incremental: true`, an incremental on top of the full archive after: a commit by
   * {@link NEW_AUTHOR} on main adding {@link NEW_BINARY} and the Python package `delta`, the markup branch
   * rewritten (amended), tag v1.0.0 deleted, branch release/2.0 added.
   */
  incremental?: { archive: string; create: RunResult };
  /** Environment the binary ran with (token-bearing: check outputs against CANARY). */
  env: Record<string, string>;
}

/** Builds the repository, runs `archive create` with dependencies (and an incremental), stops the servers. */
export async function makeReportArchive(
  prefix = "rc-report-",
  options: { incremental?: boolean } = {},
): Promise<ReportArchive> {
  const dir = tempDir(prefix);
  const servers = await startDepServers(dir, {
    pyAuth: { username: "ci", password: CANARY },
    npmToken: CANARY,
  });
  try {
    const { work } = await buildProjectRepo(dir, "shop", {
      npmUrl: servers.npm.url,
      npmToken: CANARY,
      projects: [
        { root: ".", files: { "requirements.txt": "alpha==1.0\ngamma-src==0.3\n" } },
        { root: "web", npmDependencies: { top: "^1.0.0", "@acme/util": "1.0.0", hooked: "1.0.0" } },
      ],
    });
    const run = (args: string[], env: Record<string, string> = {}) =>
      git(args, { ...FIXTURE_GIT, cwd: work, env: { ...FIXTURE_GIT.env, ...env } });
    await run(["checkout", "-q", "-b", XSS_BRANCH]);
    mkdirSync(join(work, "assets"), { recursive: true });
    writeFileSync(join(work, XSS_FILE), new Uint8Array(4096).map((_, i) => (i * 7) & 0xff));
    await run(["add", "-A"]);
    await run(["commit", "-q", "-m", "binary asset"], {
      GIT_AUTHOR_NAME: ODD_AUTHOR,
      GIT_AUTHOR_EMAIL: "ops@example.test",
    });
    await run(["checkout", "-q", "main"]);
    await run(["tag", "-a", "-m", "first release", "v1.0.0"]);
    const env = clientEnv(dir, { pypiUrl: servers.pypi.url, npmUrl: servers.npm.url }, {
      PYPI_USERNAME: "ci",
      PYPI_PASSWORD: CANARY,
      NPM_TOKEN: CANARY,
    });
    delete env.PATH;
    const create = async (out: string, extra: string[] = []) => {
      const r = await runBinary(
        ["archive", "create", work, "--output", out, "--log-file", join(dir, "create.log"), ...extra],
        { withNode: true, env },
      );
      if (r.code !== 0) throw new Error(`archive create failed (${r.code}):\n${r.stdout}${r.stderr}`);
      const name = readdirSync(out).find((n) => n.endsWith(".tar.gz"));
      if (!name) throw new Error(`no archive in ${out}: ${readdirSync(out).join(", ")}`);
      return { archive: join(out, name), create: r };
    };
    const full = await create(join(dir, "archives"));
    const refsAtFull = Object.fromEntries(
      (await run(["for-each-ref", "--format=%(refname) %(objectname)"])).stdout.trim().split("\n").map((
        l,
      ) => [l.slice(0, l.lastIndexOf(" ")), l.slice(l.lastIndexOf(" ") + 1)]),
    );
    let incremental: ReportArchive["incremental"];
    if (options.incremental) {
      // The archive name has a one-second stamp: the next one must not collide with it.
      await new Promise((r) => setTimeout(r, 1100));
      mkdirSync(join(work, "assets"), { recursive: true });
      writeFileSync(join(work, NEW_BINARY), new Uint8Array(2048).map((_, i) => (i * 13) & 0xff));
      writeFileSync(join(work, "requirements.txt"), "alpha==1.0\ngamma-src==0.3\ndelta==2.0\n");
      await run(["add", "-A"]);
      await run(["commit", "-q", "-m", "new logo, delta"], {
        GIT_AUTHOR_NAME: NEW_AUTHOR.name,
        GIT_AUTHOR_EMAIL: NEW_AUTHOR.email,
      });
      await run(["branch", "release/2.0"]);
      await run(["tag", "-d", "v1.0.0"]);
      await run(["checkout", "-q", XSS_BRANCH]);
      await run(["commit", "-q", "--amend", "-m", "binary asset (amended)"], {
        GIT_AUTHOR_NAME: ODD_AUTHOR,
        GIT_AUTHOR_EMAIL: "ops@example.test",
      });
      await run(["checkout", "-q", "main"]);
      incremental = await create(join(dir, "archives-incremental"), [
        "--type",
        "incremental",
        "--base",
        full.archive,
      ]);
    }
    return { dir, work, ...full, refsAtFull, incremental, env };
  } finally {
    await servers.close();
  }
}
