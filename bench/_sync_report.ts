import { availableParallelism, loadavg } from "node:os";
import type { Run } from "./_sync_run.ts";

/** What the sync bench measured, before summarizing. */
export interface SyncBenchInput {
  repositories: number;
  packMib: number;
  latencyMs: number;
  configs: Array<{ name: string; parallel: string; binary: { path: string; sha256: string } }>;
  /** One per round: the loop and, per configuration (same order), its first and second run. */
  samples: Array<{ round: number; loop: Run; configs: Array<{ first: Run; second: Run }>; load: number }>;
}

/** Median of a side's samples: wall, its own CPU, the emulators' CPU. */
interface SideSummary {
  wall: number;
  cpu: number;
  emulator_cpu: number;
  samples: Array<{ wall: number; cpu: number; emulator_cpu: number }>;
}

/** The summary written to results.json. Ratios are medians of per-round (paired) ratios. */
export interface SyncBenchResult {
  date: string;
  repositories: number;
  pack_mib: number;
  latency_ms: number;
  cpus: number;
  load_average_per_round: number[];
  load_average_end: number[];
  loop: SideSummary;
  configs: Array<{
    name: string;
    max_parallel: string;
    binary: { path: string; sha256: string };
    first: SideSummary;
    second: SideSummary;
    /** loop wall / first wall. Target ≥ 1.8. */
    speedup_first_vs_loop: number;
    /** second wall / first wall, in %. Target ≤ 10. */
    second_as_percent_of_first: number;
    /** loop CPU / first CPU (client side only; robust on a busy machine). */
    cpu_ratio_loop_vs_first: number;
    /** (loop + emulator) CPU / (first + emulator) CPU. */
    total_cpu_ratio_loop_vs_first: number;
    /** second CPU / first CPU, client side, in %. */
    second_cpu_percent_of_first: number;
    /** (second + emulator) CPU / (first + emulator) CPU, in %. */
    second_total_cpu_percent_of_first: number;
  }>;
  targets: { speedup_min: number; second_percent_max: number };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r2 = (n: number) => Math.round(n * 100) / 100;
const r1 = (n: number) => Math.round(n * 10) / 10;

function side(runs: Run[]): SideSummary {
  const samples = runs.map((x) => ({ wall: r2(x.wall), cpu: r2(x.cpu), emulator_cpu: r2(x.serverCpu) }));
  return {
    wall: r2(median(runs.map((x) => x.wall))),
    cpu: r2(median(runs.map((x) => x.cpu))),
    emulator_cpu: r2(median(runs.map((x) => x.serverCpu))),
    samples,
  };
}

/** Medians and paired ratios of the bench's samples. */
export function summarize(input: SyncBenchInput): SyncBenchResult {
  const s = input.samples;
  const paired = (f: (loop: Run, first: Run, second: Run) => number, c: number) =>
    median(s.map((x) => f(x.loop, x.configs[c].first, x.configs[c].second)));
  const total = (x: Run) => x.cpu + x.serverCpu;
  return {
    date: new Date().toISOString(),
    repositories: input.repositories,
    pack_mib: input.packMib,
    latency_ms: input.latencyMs,
    cpus: availableParallelism(),
    load_average_per_round: s.map((x) => r1(x.load)),
    load_average_end: loadavg().map(r1),
    loop: side(s.map((x) => x.loop)),
    configs: input.configs.map((c, i) => ({
      name: c.name,
      max_parallel: c.parallel,
      binary: c.binary,
      first: side(s.map((x) => x.configs[i].first)),
      second: side(s.map((x) => x.configs[i].second)),
      speedup_first_vs_loop: r2(paired((l, f) => l.wall / f.wall, i)),
      second_as_percent_of_first: r1(paired((_, f, sec) => 100 * sec.wall / f.wall, i)),
      cpu_ratio_loop_vs_first: r2(paired((l, f) => l.cpu / f.cpu, i)),
      total_cpu_ratio_loop_vs_first: r2(paired((l, f) => total(l) / total(f), i)),
      second_cpu_percent_of_first: r1(paired((_, f, sec) => 100 * sec.cpu / f.cpu, i)),
      second_total_cpu_percent_of_first: r1(paired((_, f, sec) => 100 * total(sec) / total(f), i)),
    })),
    targets: { speedup_min: 1.8, second_percent_max: 10 },
  };
}

/** Prints the summary table on stdout. */
export function printSyncReport(r: SyncBenchResult): void {
  const cell = (x: SideSummary) =>
    `${x.wall.toFixed(2)}s (cpu ${x.cpu.toFixed(2)}, emu ${x.emulator_cpu.toFixed(2)})`;
  const lines = [
    `sync bench ${r.date}: ${r.repositories} repos, ${r.pack_mib} MiB, latency ${r.latency_ms} ms, ${r.cpus} CPUs, ` +
    `load ${
      r.load_average_per_round.join("/")
    }, ${r.loop.samples.length} round(s); medians, ratios paired per round`,
    `  shell loop (clone --mirror + push --mirror): ${cell(r.loop)}`,
  ];
  for (const c of r.configs) {
    lines.push(
      `  ${c.name}:`,
      `    first  ${
        cell(c.first)
      }  speedup x${c.speedup_first_vs_loop} (target >= ${r.targets.speedup_min}); ` +
        `cpu ratio x${c.cpu_ratio_loop_vs_first}, with emulator x${c.total_cpu_ratio_loop_vs_first}`,
      `    second ${
        cell(c.second)
      }  ${c.second_as_percent_of_first}% of first (target <= ${r.targets.second_percent_max}%); ` +
        `cpu ${c.second_cpu_percent_of_first}%, with emulator ${c.second_total_cpu_percent_of_first}%`,
    );
  }
  console.log(lines.join("\n"));
}
