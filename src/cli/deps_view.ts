import type { DependencyProgress, EcosystemResult } from "../deps/types.ts";
import type { Terminal } from "./terminal.ts";

/**
 * Renders dependency progress as the spec does, `indent` spaces in: "Found 2 language(s): …",
 * then per ecosystem "Python: Fetching from PyPI..." and "✓ Fetched 15 packages" one level deeper.
 */
export function renderDependencyProgress(
  t: Terminal,
  event: Parameters<DependencyProgress>[0],
  indent: number,
): void {
  const pad = " ".repeat(indent);
  if (event.ecosystem === "all") return t.line(`${pad}${event.message}`);
  if (event.phase === "start") return t.line(`${pad}   ${event.label}: ${event.message}`);
  if (event.phase === "done") return t.line(`${pad}      ${t.style("green", "✓")} ${event.message}`);
  t.line(`${pad}      ${t.style("yellow", "⚠")} Warning: ${event.message}`);
}

/** Total packages of the ecosystems that were carried or installed. */
export function countPackages(results: EcosystemResult[]): number {
  return results.reduce((n, r) => n + (r.status === "included" ? r.packages : 0), 0);
}
