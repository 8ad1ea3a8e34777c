/**
 * Shell commands quoted in the docs, so tests can run them verbatim: every line of a ```bash block that
 * runs `jq` on a `*.log` file, and the `curl` lines of a block, each with where it was found.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { basename } from "node:path";

/** One command line from a doc. */
export interface DocCommand {
  /** `TROUBLESHOOTING.md:57`. */
  where: string;
  /** The line as written (leading spaces of indented blocks removed). */
  command: string;
}

/** Lines of the ```bash blocks of a Markdown file (list-indented blocks too), comments and blanks dropped. */
export function bashLines(file: string): DocCommand[] {
  const out: DocCommand[] = [];
  let inBash = false;
  let fence = "";
  readFileSync(file, "utf8").split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!inBash && /^```bash\s*$/.test(line)) {
      inBash = true;
      fence = raw.slice(0, raw.indexOf("```"));
      return;
    }
    if (inBash && line === "```" && raw.startsWith(fence)) {
      inBash = false;
      return;
    }
    if (inBash && line && !line.startsWith("#")) {
      out.push({ where: `${basename(file)}:${i + 1}`, command: line });
    }
  });
  return out;
}

/** The lines of {@link bashLines} that run jq on a log file (`sync.log`, `archive.log`, …). */
export function logCommands(file: string): DocCommand[] {
  return bashLines(file).filter((c) => /\bjq\b/.test(c.command) && /\b[\w-]+\.log\b/.test(c.command));
}

/** Result of {@link runShell}. */
export interface ShellResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one line with `bash -o pipefail -c` in `cwd` (async: servers the command talks to may live in this process). */
export function runShell(
  command: string,
  options: { cwd: string; env?: Record<string, string> },
): Promise<ShellResult> {
  return new Promise((done, fail) => {
    const child = spawn("bash", ["--noprofile", "--norc", "-o", "pipefail", "-c", command], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...(options.env ?? {}) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => stdout += d);
    child.stderr.on("data", (d) => stderr += d);
    child.on("error", fail);
    child.on("close", (status) => done({ status, stdout, stderr }));
  });
}
