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

/** What {@link makeReportArchive} made. */
export interface ReportArchive {
  dir: string;
  /** Working repository archived. */
  work: string;
  /** The archive's path. */
  archive: string;
  create: RunResult;
  /** Environment the binary ran with (token-bearing: check outputs against CANARY). */
  env: Record<string, string>;
}

/** Builds the repository, runs `archive create` with dependencies, stops the servers. */
export async function makeReportArchive(prefix = "rc-report-"): Promise<ReportArchive> {
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
    const bin = new Uint8Array(4096).map((_, i) => (i * 7) & 0xff);
    await git(["checkout", "-q", "-b", XSS_BRANCH], { ...FIXTURE_GIT, cwd: work });
    mkdirSync(join(work, "assets"), { recursive: true });
    writeFileSync(join(work, XSS_FILE), bin);
    await git(["add", "-A"], { ...FIXTURE_GIT, cwd: work });
    await git(["commit", "-q", "-m", "binary asset"], {
      ...FIXTURE_GIT,
      cwd: work,
      env: { ...FIXTURE_GIT.env, GIT_AUTHOR_NAME: ODD_AUTHOR, GIT_AUTHOR_EMAIL: "ops@example.test" },
    });
    await git(["checkout", "-q", "main"], { ...FIXTURE_GIT, cwd: work });
    await git(["tag", "-a", "-m", "first release", "v1.0.0"], { ...FIXTURE_GIT, cwd: work });
    const env = clientEnv(dir, { pypiUrl: servers.pypi.url, npmUrl: servers.npm.url }, {
      PYPI_USERNAME: "ci",
      PYPI_PASSWORD: CANARY,
      NPM_TOKEN: CANARY,
    });
    delete env.PATH;
    const out = join(dir, "archives");
    const create = await runBinary(
      ["archive", "create", work, "--output", out, "--log-file", join(dir, "create.log")],
      { withNode: true, env },
    );
    if (create.code !== 0) {
      throw new Error(`archive create failed (${create.code}):\n${create.stdout}${create.stderr}`);
    }
    const name = readdirSync(out).find((n) => n.endsWith(".tar.gz"));
    if (!name) throw new Error(`no archive in ${out}: ${readdirSync(out).join(", ")}`);
    return { dir, work, archive: join(out, name), create, env };
  } finally {
    await servers.close();
  }
}
