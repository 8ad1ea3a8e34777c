import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
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
  /** Seconds per step (shell: clone, bundle, tar_gzip, sha256sum; ours: as printed, if parseable). */
  steps: Record<string, number>;
}

const PIPELINE = `set -euo pipefail
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
  const steps = parseSteps(readFileSync(stdoutFile, "utf8"));
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
 * Pulls per-step durations out of the terminal view ("Step 2/5: … (3.2s)" or "… 1m 3.2s"); an empty
 * object when the output has no such lines. Only informative: totals come from the measurement.
 */
export function parseSteps(stdout: string): Record<string, number> {
  const steps: Record<string, number> = {};
  for (const line of stdout.split("\n")) {
    const m = line.match(/Step (\d+)\/(\d+):?\s*([^(]*?)\s*[.…]*\s*.*?(?:(\d+)m\s*)?(\d+(?:\.\d+)?)\s*s\b/);
    if (!m) continue;
    steps[`${m[1]}_${m[3].trim().toLowerCase().replace(/[^a-z0-9]+/g, "_").slice(0, 30)}`] =
      Number(m[4] ?? 0) * 60 + Number(m[5]);
  }
  return steps;
}
