import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { tempDir } from "../../tests/support/binary.ts";
import { acquireLock, LOCK_FILE, LockedError, processAlive, withDirLock } from "./lock.ts";

function deadPid(): number {
  const r = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
  const pid = Number(r.stdout.trim());
  assert.ok(!processAlive(pid));
  return pid;
}

function ownerText(pid: number, host = hostname()): string {
  return JSON.stringify({ pid, hostname: host, started_at: "2025-10-13T15:30:00.000Z", command: "sync" });
}

Deno.test("acquireLock() writes pid, host, time and command; release() removes it", async () => {
  const dir = tempDir();
  const lock = await acquireLock(dir, { role: "output directory", command: "archive create" });
  const owner = JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8"));
  assert.equal(owner.pid, process.pid);
  assert.equal(owner.hostname, hostname());
  assert.equal(owner.command, "archive create");
  assert.match(owner.started_at, /^\d{4}-\d\d-\d\dT/);
  lock.release();
  lock.release();
  assert.deepEqual(readdirSync(dir), []);
});

Deno.test("acquireLock() refuses a lock held by a live process, naming it and the lock file", async () => {
  const dir = tempDir();
  const sleeper = spawn("sleep", ["30"], { stdio: "ignore" });
  try {
    writeFileSync(join(dir, LOCK_FILE), ownerText(sleeper.pid!));
    await assert.rejects(
      acquireLock(dir, { role: "mirror cache" }),
      (e) =>
        e instanceof LockedError && e.exitCode === 1 &&
        e.message.includes(
          `Cannot use mirror cache "${dir}": another run holds it: "sync" (pid ${sleeper.pid}`,
        ) &&
        e.message.includes(`remove "${join(dir, LOCK_FILE)}"`),
    );
    assert.equal(readFileSync(join(dir, LOCK_FILE), "utf8"), ownerText(sleeper.pid!));
  } finally {
    sleeper.kill("SIGKILL");
  }
});

Deno.test("acquireLock() takes over a stale lock (dead pid on this host) but never another host's", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, LOCK_FILE), ownerText(deadPid()));
  const lock = await acquireLock(dir, { role: "output directory" });
  assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid, process.pid);
  lock.release();
  assert.deepEqual(readdirSync(dir), [], "no stale leftovers");

  writeFileSync(join(dir, LOCK_FILE), ownerText(deadPid(), "other-host.example"));
  await assert.rejects(acquireLock(dir, { role: "output directory" }), /on other-host\.example/);
});

Deno.test("acquireLock() judges an unreadable lock file by its age", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, LOCK_FILE), "");
  await assert.rejects(acquireLock(dir, { role: "state directory" }), /an unknown process/);
  const old = new Date(Date.now() - 60_000);
  utimesSync(join(dir, LOCK_FILE), old, old);
  (await acquireLock(dir, { role: "state directory" })).release();
  assert.ok(!existsSync(join(dir, LOCK_FILE)));
});

Deno.test("acquireLock() is re-entrant within one run (same directory in two roles)", async () => {
  const dir = tempDir();
  const a = await acquireLock(dir, { role: "output directory" });
  const b = await acquireLock(dir, { role: "state directory" });
  b.release();
  assert.ok(existsSync(join(dir, LOCK_FILE)), "the inner release leaves the outer lock");
  a.release();
  assert.ok(!existsSync(join(dir, LOCK_FILE)));
});

Deno.test("withDirLock() waits for a short critical section of another run, then runs", async () => {
  const dir = tempDir();
  const sleeper = spawn("sleep", ["30"], { stdio: "ignore" });
  try {
    writeFileSync(join(dir, LOCK_FILE), ownerText(sleeper.pid!));
    setTimeout(() => sleeper.kill("SIGKILL"), 300);
    const value = await withDirLock(dir, { role: "state directory", waitMs: 10_000 }, () => 42);
    assert.equal(value, 42);
    assert.ok(!existsSync(join(dir, LOCK_FILE)));
  } finally {
    sleeper.kill("SIGKILL");
  }
});
