import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** One measured side of the sync bench. */
export interface Run {
  wall: number;
  /** CPU seconds of the side's process tree (our binary and its git children, or the loop). */
  cpu: number;
  /** CPU seconds of the emulators (REST, git http-backend and its children) during the run. */
  serverCpu: number;
  code: number;
  tail: string;
}

/**
 * CPU seconds (self + reaped children) of this process: the emulators run in it, and their
 * `git http-backend` children are reaped by it.
 */
function harnessCpu(): number {
  const f = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}

/**
 * Runs `cmd argv` under `/usr/bin/time` with a minimal environment (PATH, HOME, `env`): wall time from
 * spawn to exit, the tree's CPU from time(1), and the emulators' CPU as this process's CPU during the
 * run minus the side's own (the side is a reaped child too).
 */
export function runMeasured(
  cmd: string,
  argv: string[],
  options: { env: Record<string, string>; home: string },
): Promise<Run> {
  return new Promise((done, fail) => {
    const timeFile = join(options.home, "time.txt");
    const before = harnessCpu();
    const start = performance.now();
    const child = spawn("/usr/bin/time", ["-f", "%U %S", "-o", timeFile, cmd, ...argv], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: options.home, ...options.env },
    });
    const err: string[] = [];
    child.stderr.on("data", (d) => err.push(String(d)));
    child.stdout.on("data", () => {});
    child.on("error", fail);
    child.on("close", (code) => {
      const wall = (performance.now() - start) / 1000;
      const [u, s] = readFileSync(timeFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
      const cpu = u + s;
      const serverCpu = Math.max(0, harnessCpu() - before - cpu);
      done({ wall, cpu, serverCpu, code: code ?? 1, tail: err.join("").slice(-600) });
    });
  });
}
