import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

/** One timed process run. */
export interface Sample {
  /** Wall-clock seconds from spawn to exit. */
  wall: number;
  /** User and system CPU seconds of the whole process tree (from `/usr/bin/time -v`). */
  user: number;
  sys: number;
  /** Peak resident set of the largest process in the tree, KiB ("Maximum resident set size"). */
  maxRssKb: number;
  code: number;
  /** Last lines of stderr, for failure reports. */
  stderrTail: string;
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** File that receives stdout (default: discarded). */
  stdoutFile?: string;
  /** File that receives stderr (default: a temporary file, tail kept in the sample). */
  stderrFile?: string;
}

/** Path of the GNU time binary used for every measurement. */
export const TIME_BIN = "/usr/bin/time";

let niceness: number | null = null;
let savedAutogroup: string | undefined;
const AUTOGROUP = "/proc/self/autogroup";

/**
 * Runs every later measured command (both sides alike) at scheduling priority `n` (`nice -n`, and the
 * session's autogroup; negative values need root), so that other work on a shared machine disturbs the
 * comparison less.
 */
export function setNiceness(n: number | null): void {
  niceness = n;
  // With scheduler autogroups (one per session), `nice` only ranks processes inside this session;
  // the session's own weight against other sessions is its autogroup nice. It outlives this process
  // (the session does), so `null` puts back the value found first.
  if (!existsSync(AUTOGROUP)) return;
  try {
    if (savedAutogroup === undefined) {
      savedAutogroup = readFileSync(AUTOGROUP, "utf8").match(/nice (-?\d+)/)?.[1] ?? "0";
      process.once("exit", () => setNiceness(null));
    }
    writeFileSync(AUTOGROUP, `${n ?? savedAutogroup}\n`);
  } catch (error) {
    console.error(
      `bench: cannot set the autogroup priority (${(error as Error).message}); nice applies in-session only`,
    );
  }
}

/**
 * Runs `cmd` under `/usr/bin/time -v` and returns its wall time, CPU time and peak RSS. The harness
 * process itself does nothing while the command runs, so it does not disturb the measurement.
 */
export async function measure(cmd: string[], options: MeasureOptions = {}): Promise<Sample> {
  const stamp = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  const timeFile = `/tmp/bench-time-${stamp}.txt`;
  const errFile = options.stderrFile ?? `/tmp/bench-err-${stamp}.txt`;
  const out = options.stdoutFile ? openSync(options.stdoutFile, "w") : "ignore";
  const err = openSync(errFile, "w");
  const started = performance.now();
  const code = await new Promise<number>((resolve, reject) => {
    const timed = [TIME_BIN, "-v", "-o", timeFile, ...cmd];
    const argv = niceness === null ? timed : ["nice", "-n", String(niceness), ...timed];
    const child = spawn(argv[0], argv.slice(1), {
      cwd: options.cwd,
      env: { ...process.env, ...options.env } as Record<string, string>,
      stdio: ["ignore", out, err],
    });
    child.on("error", reject);
    child.on("close", (c) => resolve(c ?? 1));
  });
  const wall = (performance.now() - started) / 1000;
  if (typeof out === "number") closeSync(out);
  closeSync(err);
  const report = existsSync(timeFile) ? readFileSync(timeFile, "utf8") : "";
  rmSync(timeFile, { force: true });
  const stderr = readFileSync(errFile, "utf8");
  if (!options.stderrFile) rmSync(errFile, { force: true });
  const field = (name: string) => Number(report.match(new RegExp(`${name}: ([0-9.]+)`))?.[1] ?? NaN);
  return {
    wall,
    user: field("User time \\(seconds\\)"),
    sys: field("System time \\(seconds\\)"),
    maxRssKb: field("Maximum resident set size \\(kbytes\\)"),
    code,
    stderrTail: stderr.trim().split("\n").slice(-8).join("\n"),
  };
}

/** Peak memory of one process run, split by program (not timed: polling costs CPU). */
export interface MemoryProfile {
  /** VmHWM of the launched process itself, KiB (anonymous plus file-backed pages, e.g. mmapped packs). */
  selfPeakKb: number;
  /** Largest RssAnon sampled for the process itself, KiB (heap, buffers: what streaming must bound). */
  selfAnonPeakKb: number;
  /** Largest VmHWM seen per descendant program name (e.g. git), KiB. */
  children: Record<string, number>;
  /** Largest RssAnon sampled per descendant program name, KiB. */
  childrenAnon: Record<string, number>;
  code: number;
}

/**
 * Runs `cmd` directly and polls /proc every `intervalMs` for the peak RSS (VmHWM) of the process and
 * of each of its descendants by name. A high-water mark only grows, so the last poll is a lower bound
 * that misses at most the final interval.
 */
export async function memoryProfile(cmd: string[], options: MeasureOptions & { intervalMs?: number } = {}) {
  const child = spawn(cmd[0], cmd.slice(1), {
    cwd: options.cwd,
    env: { ...process.env, ...options.env } as Record<string, string>,
    stdio: "ignore",
  });
  const profile: MemoryProfile = {
    selfPeakKb: 0,
    selfAnonPeakKb: 0,
    children: {},
    childrenAnon: {},
    code: 1,
  };
  let done = false;
  const exit = new Promise<number>((resolve) => {
    child.on("error", () => resolve(127));
    child.on("close", (c) => {
      done = true;
      resolve(c ?? 1);
    });
  });
  const deadline = Date.now() + 3_600_000;
  while (!done && Date.now() < deadline) {
    const tree = descendants(child.pid!);
    for (const pid of [child.pid!, ...tree]) {
      const status = readStatus(pid);
      if (!status) continue;
      if (pid === child.pid) {
        profile.selfPeakKb = Math.max(profile.selfPeakKb, status.hwm);
        profile.selfAnonPeakKb = Math.max(profile.selfAnonPeakKb, status.anon);
      } else {
        profile.children[status.name] = Math.max(profile.children[status.name] ?? 0, status.hwm);
        profile.childrenAnon[status.name] = Math.max(profile.childrenAnon[status.name] ?? 0, status.anon);
      }
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
  profile.code = await exit;
  return profile;
}

function readStatus(pid: number): { name: string; hwm: number; anon: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(s.match(new RegExp(`^${key}:\\s+(\\d+)`, "m"))?.[1] ?? 0);
    let name = s.match(/^Name:\s+(.*)$/m)?.[1] ?? "?";
    if (name === "git") {
      name = `git ${gitSubcommand(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0"))}`;
    }
    return { name, hwm: kb("VmHWM"), anon: kb("RssAnon") };
  } catch {
    return null;
  }
}

/** `git [-c k=v] [-C dir] [--git-dir=…] <sub> …` → `<sub>`, so memory is attributed per git command. */
function gitSubcommand(argv: string[]): string {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-c" || a === "-C" || a === "--git-dir" || a === "--work-tree") i++;
    else if (!a.startsWith("-")) return a;
  }
  return "?";
}

function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // process ended meanwhile
    }
  }
  const found: number[] = [];
  const queue = [root];
  for (let guard = 0; queue.length > 0 && guard < 100000; guard++) {
    const p = queue.shift()!;
    for (const [pid, pp] of parent) if (pp === p) (found.push(pid), queue.push(pid));
  }
  return found;
}

/** Flushes dirty pages and, when `drop` is set (root only), empties the page cache. */
export function settle(drop: boolean): void {
  spawnSync("sync");
  if (drop) writeFileSync("/proc/sys/vm/drop_caches", "3\n");
}

/** Median of `xs` (mean of the two middle values for even counts). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
