/**
 * Child processes started in their own process group (git, pip, npm, python3), tracked while they run so
 * that an interrupt can stop every one of them with everything they started — also the ones an operation
 * did not hand the abort signal to, and tools that would otherwise wait out their own network timeouts.
 */
import { type ChildProcess, spawn, type SpawnOptions } from "node:child_process";

const live = new Set<ChildProcess>();

/** `spawn` with `detached: true` (its own process group, see {@link killTree}), tracked until it ends. */
export function spawnDetached(cmd: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(cmd, args, { ...options, detached: true });
  live.add(child);
  child.once("close", () => live.delete(child));
  child.once("error", () => live.delete(child));
  return child;
}

/**
 * Kills the process group of every child from {@link spawnDetached} still running (SIGINT/SIGTERM
 * handling: nothing keeps running after we leave). Returns how many.
 */
export function killAllChildren(signal: NodeJS.Signals = "SIGKILL"): number {
  const n = live.size;
  for (const child of live) killTree(child, signal);
  return n;
}

/** Kills a detached child's whole process group. */
export function killTree(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}
