import type { MemoryProfile, Sample } from "./_measure.ts";
import { median } from "./_measure.ts";
import type { RepoInfo } from "./gen_repo.ts";

/** The issue's targets (issue 2; the incremental ones are issue 7's). */
export const TARGETS = {
  create_ratio_max: 1.15,
  verify_throughput_ratio_min: 0.8,
  peak_rss_mib_max: 200,
  incremental_size_ratio_max: 0.05,
  incremental_time_ratio_max: 0.2,
};

/** Statistics of one side's successful runs. */
export interface Stats {
  median: number;
  min: number;
  max: number;
  walls: number[];
  failed: number;
  max_rss_mib: number;
  cpu_seconds_median: number;
}

/**
 * Baseline vs ours: `ratio` is ours/baseline of the median wall times (what the targets use);
 * `cpu_ratio` the same for CPU seconds (user+sys of the process tree), which a busy machine disturbs less.
 */
export interface Comparison {
  baseline: Stats | null;
  ours: Stats | null;
  ratio: number | null;
  cpu_ratio: number | null;
}

/** One target check; `pass` null marks a figure shown for information only. */
export interface Verdict {
  name: string;
  value: number;
  target: string;
  pass: boolean | null;
}

/** Everything results.json holds. */
export interface Results {
  when: string;
  smoke: boolean;
  machine: Record<string, unknown>;
  binary: { path: string; sha256: string; version: string };
  repo: RepoInfo;
  source: string;
  runs: number;
  targets: typeof TARGETS;
  create: Comparison;
  verify: Comparison;
  memory: { create: MemoryProfile; verify: MemoryProfile; shell: MemoryProfile } | null;
  incremental: Record<string, unknown> | null;
  samples: Record<string, Sample[]>;
  verdicts?: Verdict[];
}

function stats(samples: Sample[]): Stats | null {
  const ok = samples.filter((s) => s.code === 0);
  if (ok.length === 0) return null;
  const walls = ok.map((s) => round(s.wall));
  return {
    median: round(median(walls)),
    min: Math.min(...walls),
    max: Math.max(...walls),
    walls,
    failed: samples.length - ok.length,
    max_rss_mib: round(Math.max(...ok.map((s) => s.maxRssKb)) / 1024),
    cpu_seconds_median: round(median(ok.map((s) => s.user + s.sys))),
  };
}

/** Medians and the ours/baseline ratio of two alternating series. */
export function summarize(baseline: Sample[], ours: Sample[]): Comparison {
  const b = stats(baseline);
  const o = stats(ours);
  return {
    baseline: b,
    ours: o,
    ratio: b && o ? round(o.median / b.median, 3) : null,
    cpu_ratio: b && o ? round(o.cpu_seconds_median / b.cpu_seconds_median, 3) : null,
  };
}

/** The target checks that the measured figures allow. */
export function verdicts(r: Results): Verdict[] {
  const v: Verdict[] = [];
  if (r.create.ratio !== null) {
    v.push({
      name: "create time / shell pipeline",
      value: r.create.ratio,
      target: `<= ${TARGETS.create_ratio_max}`,
      pass: r.create.ratio <= TARGETS.create_ratio_max,
    });
  }
  if (r.verify.ratio !== null) {
    const throughput = round(1 / r.verify.ratio, 3);
    v.push({
      name: "verify throughput / sha256sum",
      value: throughput,
      target: `>= ${TARGETS.verify_throughput_ratio_min}`,
      pass: throughput >= TARGETS.verify_throughput_ratio_min,
    });
  }
  const rss = (name: string, mib: number | undefined) => {
    if (mib === undefined || !Number.isFinite(mib) || mib <= 0) return;
    v.push({
      name,
      value: round(mib),
      target: `<= ${TARGETS.peak_rss_mib_max} MiB`,
      pass: mib <= TARGETS.peak_rss_mib_max,
    });
  };
  rss("peak RSS create, repo-cloner process", r.memory ? r.memory.create.selfPeakKb / 1024 : undefined);
  rss("peak RSS verify, repo-cloner process", r.memory ? r.memory.verify.selfPeakKb / 1024 : undefined);
  // Information only: CPU-time ratios, and tree maxima that include git children (whose RSS counts mmapped packs).
  const info = (name: string, value: number | undefined) => {
    if (value !== undefined) v.push({ name, value: round(value, 3), target: "(info)", pass: null });
  };
  const minRatio = (c: Comparison) => (c.baseline && c.ours ? c.ours.min / c.baseline.min : undefined);
  info("create min time / shell pipeline min", minRatio(r.create));
  const vMin = minRatio(r.verify);
  info("verify throughput from min times", vMin === undefined ? undefined : 1 / vMin);
  if (r.create.cpu_ratio !== null) info("create CPU time / shell pipeline", r.create.cpu_ratio);
  if (r.verify.cpu_ratio !== null) {
    info("verify CPU throughput / sha256sum", round(1 / r.verify.cpu_ratio, 3));
  }
  info("peak RSS create, largest process incl. git", r.create.ours?.max_rss_mib);
  info("peak RSS shell pipeline, largest process", r.create.baseline?.max_rss_mib);
  info("peak RSS verify, largest process", r.verify.ours?.max_rss_mib);
  const inc = r.incremental as { size_ratio?: number; time_ratio?: number } | null;
  if (inc?.size_ratio !== undefined && inc.time_ratio !== undefined) {
    const { size_ratio: s, time_ratio: t } = inc;
    v.push({
      name: "incremental size / full",
      value: s,
      target: "< 0.05",
      pass: s < TARGETS.incremental_size_ratio_max,
    });
    v.push({
      name: "incremental time / full",
      value: t,
      target: "< 0.2",
      pass: t < TARGETS.incremental_time_ratio_max,
    });
  }
  return v;
}

/** Human table of the results (also sets `r.verdicts`). */
export function renderTable(r: Results): string {
  r.verdicts = verdicts(r);
  const m = r.machine;
  const lines = [
    `archive benchmark${r.smoke ? " (SMOKE: tiny repository, numbers mean nothing)" : ""}${
      m.sha_extensions_masked ? " (SHA extensions masked for OpenSSL: --no-sha-ni)" : ""
    } — ${m.cores} cores ${m.cpu}${m.sha_ni ? " (sha_ni)" : ""}, ${m.mem_gib} GiB, load ${
      (m.loadavg_before as number[])[0].toFixed(2)
    }→${(m.loadavg_after as number[])[0].toFixed(2)}`,
    `repository: ${r.repo.commits} commits, ${r.repo.refs} refs, pack ${
      mib(r.repo.size_pack_bytes)
    }; source ${r.source}; ${r.runs} runs per side, alternating`,
    `binary: ${r.binary.version} sha256 ${r.binary.sha256.slice(0, 12)} (a private copy of ${r.binary.path})`,
    "",
    pad(["", "median s", "min s", "max s", "CPU s", "max RSS", "runs"]),
  ];
  const load = Math.max(
    ...(m.loadavg_before as number[]).slice(0, 1),
    ...(m.loadavg_after as number[]).slice(0, 1),
  );
  if (load > (m.cores as number)) {
    lines.unshift(
      `WARNING: the machine was busy (load ${
        load.toFixed(1)
      } on ${m.cores} cores): wall-time ratios are unreliable;` +
        " look at the min times and the CPU-time ratios, or rerun on a quiet machine (or with --nice=-10 as root).",
    );
  }
  if (m.nice !== null && m.nice !== undefined) {
    lines.push(
      `note: --nice=${m.nice}: repo-cloner's git children run in their own sessions without it (see bench/README.md)`,
    );
  }
  const row = (name: string, s: Stats | null) =>
    lines.push(
      s
        ? pad([
          name,
          s.median.toFixed(2),
          s.min.toFixed(2),
          s.max.toFixed(2),
          s.cpu_seconds_median.toFixed(2),
          `${s.max_rss_mib.toFixed(0)} MiB`,
          `${s.walls.length}${s.failed ? ` (+${s.failed} failed)` : ""}`,
        ])
        : pad([name, "no successful run"]),
    );
  row("create: shell pipeline", r.create.baseline);
  row("create: repo-cloner", r.create.ours);
  row("verify: sha256sum", r.verify.baseline);
  row("verify: repo-cloner", r.verify.ours);
  lines.push("");
  for (const side of ["shell", "ours"]) {
    const steps = (r.samples[side] as Array<Sample & { steps?: Record<string, number> }>).at(-1)?.steps;
    if (!steps || Object.keys(steps).length === 0) continue;
    const text = Object.entries(steps).map(([k, s]) => `${k} ${s.toFixed(2)} s`).join(", ");
    lines.push(`${side === "shell" ? "shell" : "repo-cloner"} steps (last run): ${text}`);
  }
  if (r.memory) {
    const m = r.memory;
    const kids = (p: MemoryProfile) =>
      Object.entries(p.children).map(([k, kb]) => `${k} ${mb(kb)} (anon ${mb(p.childrenAnon[k] ?? 0)})`).join(
        ", ",
      ) ||
      "none";
    lines.push(
      `memory, peak RSS in MiB (VmHWM; anon = largest sampled RssAnon):`,
      `  create: repo-cloner ${mb(m.create.selfPeakKb)} (anon ${mb(m.create.selfAnonPeakKb)}); children ${
        kids(m.create)
      }`,
      `  verify: repo-cloner ${mb(m.verify.selfPeakKb)} (anon ${mb(m.verify.selfAnonPeakKb)}); children ${
        kids(m.verify)
      }`,
      `  shell pipeline: ${kids(m.shell)}`,
    );
  }
  const inc = r.incremental as Record<string, unknown> | null;
  if (inc?.failed) lines.push(`incremental (${inc.new_commits} new commits): FAILED: ${inc.error}`);
  else if (inc) {
    lines.push(
      `incremental (${inc.new_commits} new commits): ${mib(inc.incremental_bytes as number)} vs full ${
        mib(inc.full_bytes as number)
      }; create median ${inc.incremental_create_median_s} s vs full ${inc.full_create_median_s} s; ` +
        `chain verify ${(inc.chain_verify as { wall_s: number }).wall_s} s`,
    );
  }
  for (const side of ["ours", "verify"]) {
    const noisy = r.samples[side].find((x) => x.code === 0 && x.stderrTail.trim() !== "");
    if (noisy) {
      lines.push(
        `note: a successful repo-cloner ${side === "ours" ? "create" : "verify"} wrote to stderr: ${
          noisy.stderrTail.split("\n")[0]
        }`,
      );
    }
  }
  lines.push("", pad(["target", "measured", "wanted", "verdict"]));
  for (const v of r.verdicts) {
    const verdict = v.pass === null ? "" : r.smoke ? "(smoke)" : v.pass ? "PASS" : "MISS";
    lines.push(pad([v.name, String(v.value), v.target, verdict]));
  }
  return lines.join("\n");
}

function pad(cols: string[]): string {
  return cols.map((c, i) => (i === 0 ? c.padEnd(42) : c.padStart(11))).join(" ");
}

function mb(kb: number): string {
  return (kb / 1024).toFixed(0);
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
