/**
 * A bidirectional pair on the forge emulator: the GitLab project `backend/app` (source) and the
 * GitHub repository `myorg/app` (target), a state dir, and `run()` driving the real engine with
 * `sync.mode: bidirectional`. Histories are scripted straight into the bare repositories.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { ConfigFile } from "../../src/config/schema.ts";
import { outcomeError } from "../../src/cli/sync_cycle.ts";
import { bidiStatePath } from "../../src/sync/bidi_state.ts";
import { tempDir } from "./binary.ts";
import { type FixtureRun, startSyncFixture, type SyncFixture } from "./sync_fixture.ts";

/** `sync` keys a test may change. */
export type SyncKeys = Partial<NonNullable<ConfigFile["sync"]>>;

/** The fixture. */
export interface BidiFixture {
  f: SyncFixture;
  /** Bare repository of the source (GitLab `backend/app`). */
  src: string;
  /** Bare repository of the target (GitHub `myorg/app`); undefined until created when `targetExists` is false. */
  tgt: () => string;
  stateDir: string;
  /** The pair's state file. */
  stateFile: () => string;
  config(sync?: SyncKeys): ConfigFile;
  run(sync?: SyncKeys, flags?: { dryRun?: boolean }): Promise<BidiRun>;
  close(): Promise<void>;
}

/** A run and the exit code the CLI would give it. */
export interface BidiRun extends FixtureRun {
  exitCode: number;
}

/** Starts the pair; `targetExists: false` leaves the GitHub repository to be created by the sync. */
export async function startBidiFixture(options: { targetExists?: boolean } = {}): Promise<BidiFixture> {
  const f = await startSyncFixture();
  const stateDir = tempDir("rc-bidi-state-");
  const src = f.gl.addRepo("backend/app").dir;
  if (options.targetExists ?? true) f.gh.addRepo("myorg/app");
  const config = (sync: SyncKeys = {}): ConfigFile =>
    f.config({
      sync: {
        mode: "bidirectional",
        conflict_resolution: "fail",
        propagate_deletes: false,
        prune: false,
        state_dir: stateDir,
        ...sync,
      },
    });
  return {
    f,
    src,
    tgt: () => f.gh.repos.get("myorg/app")!.dir,
    stateDir,
    stateFile: () => bidiStatePath(stateDir, f.gl.host, "backend/app"),
    config,
    async run(sync = {}, flags = {}) {
      const r = await f.run({ config: config(sync), flags });
      const exitCode = r.error
        ? (r.error as { exitCode?: number }).exitCode ?? 1
        : outcomeError(r, f.logFile)?.exitCode ?? 0;
      return { ...r, exitCode };
    },
    close: () => f.close(),
  };
}

/** Copies `sha` (and its history) from one bare repository to another under `ref`, bypassing the forge. */
export function copyRef(from: string, to: string, sha: string, ref: string): void {
  execFileSync("git", ["-C", from, "push", "-q", "--force", to, `${sha}:${ref}`], { stdio: "pipe" });
}

/** Branches and tags of a bare repository, without the backup namespace. */
export function headsAndTags(refs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(refs).filter(([k]) => /^refs\/(heads|tags)\//.test(k)));
}

/** The state file's `refs`. */
export function stateRefs(file: string): Record<string, string> {
  return JSON.parse(readFileSync(file, "utf8")).refs;
}
