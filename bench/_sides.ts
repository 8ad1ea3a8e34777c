import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { measure, type Sample } from "./_measure.ts";

/**
 * The two sides of each comparison: the plain-git shell pipeline the issue names, and our binary.
 * Each call works in a fresh directory under `workDir` (same disk as the source repository).
 */

/** A create run: the sample plus what it produced. */
export interface CreateRun extends Sample {
  /** Archive path (kept only when asked), and its size. */
  archive: string | null;
  archiveBytes: number;
  /** Seconds per step (shell: clone, bundle, tar+gzip, sha256sum; ours: from its log's duration_seconds). */
  steps: Record<string, number>;
}

/** The shell pipeline (bash script; `$1` is the source), recording step timestamps in steps.txt. */
export const PIPELINE = `set -euo pipefail
ts() { date +%s.%N; }
t0=$(ts)
git clone --mirror -q "$1" m.git
t1=$(ts)
git -C m.git bundle create ../repo.bundle --all 2>bundle.err
t2=$(ts)
tar czf out.tar.gz repo.bundle
t3=$(ts)
sha256sum out.tar.gz >out.tar.gz.sha256
t4=$(ts)
echo "$t0 $t1 $t2 $t3 $t4" >steps.txt
`;

/** `git clone --mirror SRC m.git && git -C m.git bundle create ../repo.bundle --all && tar czf && sha256sum`. */
export async function shellCreate(source: string, dir: string): Promise<CreateRun> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "pipeline.sh"), PIPELINE);
  const sample = await measure(["bash", "pipeline.sh", source], { cwd: dir });
  const steps: Record<string, number> = {};
  let archiveBytes = 0;
  if (sample.code === 0) {
    const t = readFileSync(join(dir, "steps.txt"), "utf8").trim().split(" ").map(Number);
    ["clone_mirror", "bundle_create", "tar_gzip", "sha256sum"].forEach((
      k,
      i,
    ) => (steps[k] = t[i + 1] - t[i]));
    archiveBytes = statSync(join(dir, "out.tar.gz")).size;
  }
  rmSync(dir, { recursive: true, force: true });
  return { ...sample, archive: null, archiveBytes, steps };
}

/** Options of {@link oursCreate}. */
export interface OursCreateOptions {
  /** Keep the archive (returned in `archive`); otherwise the run's directory is removed. */
  keep?: boolean;
  /** Extra arguments after `archive create SOURCE --output DIR --no-dependencies`. */
  extra?: string[];
}

/** `repo-cloner archive create SOURCE --output DIR --no-dependencies`. */
export async function oursCreate(
  binary: string,
  source: string,
  dir: string,
  options: OursCreateOptions = {},
) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "out"), { recursive: true });
  const stdoutFile = join(dir, "stdout.txt");
  const sample = await measure(
    [
      binary,
      "--log-file",
      join(dir, "create.log"),
      "archive",
      "create",
      source,
      "--output",
      join(dir, "out"),
      "--no-dependencies",
      ...(options.extra ?? []),
    ],
    { cwd: dir, stdoutFile, env: { NO_COLOR: "1" } },
  );
  const found = readdirSync(join(dir, "out")).filter((n) => n.endsWith(".tar.gz"));
  const archive = sample.code === 0 && found.length === 1 ? join(dir, "out", found[0]) : null;
  const archiveBytes = archive ? statSync(archive).size : 0;
  const logFile = join(dir, "create.log");
  const steps = existsSync(logFile) ? parseSteps(readFileSync(logFile, "utf8")) : {};
  if (sample.code === 0 && !archive) {
    sample.code = -1;
    sample.stderrTail = `expected one .tar.gz in ${join(dir, "out")}, found ${found.length}`;
  }
  if (!options.keep) rmSync(dir, { recursive: true, force: true });
  return { ...sample, archive: options.keep ? archive : null, archiveBytes, steps } satisfies CreateRun;
}

/** `sha256sum ARCHIVE`. */
export function shaVerify(archive: string): Promise<Sample> {
  return measure(["sha256sum", archive]);
}

/** `repo-cloner archive verify ARCHIVE...`. */
export function oursVerify(binary: string, archives: string[], logFile: string): Promise<Sample> {
  return measure([binary, "--log-file", logFile, "archive", "verify", ...archives], {
    env: { NO_COLOR: "1" },
  });
}

/**
 * Per-step durations from our JSON-lines log: every event that carries `duration_seconds`, keyed by its
 * message ("Repository cloned", "Archive created", …). Only informative: totals come from the measurement.
 */
export function parseSteps(logText: string): Record<string, number> {
  const steps: Record<string, number> = {};
  for (const line of logText.split("\n")) {
    if (!line.includes("duration_seconds")) continue;
    try {
      const event = JSON.parse(line) as { message?: string; duration_seconds?: number };
      if (typeof event.duration_seconds === "number" && event.message) {
        steps[event.message] = event.duration_seconds;
      }
    } catch {
      // not a JSON line
    }
  }
  return steps;
}
