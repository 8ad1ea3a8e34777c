/** Reads every process's command line from /proc (Linux), for leak and leftover-process checks. */
import { readdirSync, readFileSync } from "node:fs";

/** `{pid, argv}` of every readable process. */
export function processList(): Array<{ pid: number; argv: string[] }> {
  const out: Array<{ pid: number; argv: string[] }> = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const raw = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (raw) out.push({ pid: Number(name), argv: raw.split("\0").filter(Boolean) });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Samples the process list every `everyMs` until stopped; returns every distinct command line seen. */
export function sampleProcesses(everyMs = 20): { stop(): string[] } {
  const seen = new Set<string>();
  const timer = setInterval(() => {
    for (const p of processList()) seen.add(p.argv.join(" "));
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return [...seen];
    },
  };
}
