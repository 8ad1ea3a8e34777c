/**
 * A small, size-limited filesystem for disk-full tests: a tmpfs (`mount -t tmpfs -o size=N`), or when
 * tmpfs mounts are not permitted a loop-mounted ext4 image file. Needs root. When neither works the
 * caller gets the reason and must print it loudly and skip — never pass silently.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A mounted small filesystem. */
export interface SmallFs {
  dir: string;
  /** How it was made: "tmpfs" or "loop". */
  kind: string;
  close(): void;
}

function run(cmd: string, args: string[]): { ok: boolean; err: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000 });
  return { ok: r.status === 0, err: `${r.stderr ?? ""}${r.error?.message ?? ""}`.trim() };
}

/** Mounts a filesystem of `sizeMiB` MiB, or returns why it could not. */
export function mountSmallFs(sizeMiB: number): SmallFs | { skip: string } {
  const base = mkdtempSync(join(tmpdir(), "rc-smallfs-"));
  const dir = join(base, "mnt");
  mkdirSync(dir);
  const cleanup = () => rmSync(base, { recursive: true, force: true });
  const tmpfs = run("mount", ["-t", "tmpfs", "-o", `size=${sizeMiB}m`, "tmpfs", dir]);
  if (tmpfs.ok) {
    return {
      dir,
      kind: "tmpfs",
      close: () => {
        run("umount", ["-l", dir]);
        cleanup();
      },
    };
  }
  const image = join(base, "fs.img");
  const steps = [
    run("truncate", ["-s", `${sizeMiB}M`, image]),
    run("mkfs.ext4", ["-q", "-F", image]),
    run("mount", ["-o", "loop", image, dir]),
  ];
  if (steps.every((s) => s.ok)) {
    return {
      dir,
      kind: "loop",
      close: () => {
        run("umount", ["-l", dir]);
        cleanup();
      },
    };
  }
  cleanup();
  return {
    skip: `cannot mount a small filesystem (tmpfs: ${tmpfs.err || "failed"}; loop: ${
      steps.find((s) => !s.ok)?.err || "failed"
    }). Run the tests as root on Linux to exercise disk-full handling`,
  };
}

/** Runs `fn` on a small filesystem, or prints a loud SKIPPED line with the reason. */
export async function onSmallFs(sizeMiB: number, fn: (fs: SmallFs) => Promise<void> | void): Promise<void> {
  const fs = mountSmallFs(sizeMiB);
  if ("skip" in fs) {
    console.warn(`\n!!! SKIPPED disk-full test: ${fs.skip}\n`);
    return;
  }
  try {
    await fn(fs);
  } finally {
    fs.close();
  }
}
