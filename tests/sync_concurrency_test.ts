/**
 * The engine's two widths: up to max_parallel repositories run git (clone, fetch, push) at once, while
 * four times as many are checked (the read-only ls-refs of source and target, no process). Both are
 * asserted from the forge emulator's request log, not from timings.
 */
import assert from "node:assert/strict";
import { seedHistory } from "./support/forge_repos.ts";
import type { ForgeLogEntry } from "./support/forge.ts";
import { startSyncFixture } from "./support/sync_fixture.ts";
import { CANARY, tempDir } from "./support/binary.ts";

/** Most requests of `entries` in flight at one time (each from arrival to its last byte sent). */
function peakOverlap(entries: ForgeLogEntry[]): number {
  const edges = entries.flatMap((e) => {
    assert.ok(e.done !== undefined, `${e.method} ${e.path} never finished`);
    return [{ t: e.at, d: 1 }, { t: e.done!, d: -1 }];
  }).sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0, peak = 0;
  for (const { d } of edges) peak = Math.max(peak, now += d);
  return peak;
}

Deno.test("sync: max_parallel 1 clones and pushes one repository at a time but checks four at once", async () => {
  const f = await startSyncFixture();
  try {
    const names = ["a", "b", "c", "d", "e", "f"];
    for (const n of names) seedHistory(f.gl.addRepo(`backend/${n}`).dir, { commits: 2, tags: ["v1"] });
    const config = f.config({
      concurrency: {
        max_parallel: 1,
        timeout_per_repo_seconds: 30,
        max_retries: 0,
        retry_backoff_seconds: 0.05,
      },
    });

    const first = await f.run({ config });
    assert.equal(first.error, undefined, String(first.error));
    assert.equal(first.result.successful, names.length, first.out);
    const clones = f.gl.ops("fetch");
    const pushes = f.gh.ops("push");
    assert.equal(clones.length, names.length);
    assert.equal(pushes.length, names.length);
    assert.equal(peakOverlap(clones), 1, "two clones ran at once");
    assert.equal(peakOverlap(pushes), 1, "two pushes ran at once");
    // One repository's git work (its clone, then its push) ends before the next one's begins.
    const byRepo = (e: ForgeLogEntry) => e.repo!.split("/").pop()!;
    const spans = names.map((n) => {
      const mine = [...clones, ...pushes].filter((e) => byRepo(e) === n);
      return { n, from: Math.min(...mine.map((e) => e.at)), to: Math.max(...mine.map((e) => e.done!)) };
    }).sort((a, b) => a.from - b.from);
    for (let i = 1; i < spans.length; i++) {
      assert.ok(
        spans[i].from >= spans[i - 1].to,
        `${spans[i].n} started git before ${spans[i - 1].n} finished`,
      );
    }

    // Nothing changed: every repository is only checked. Hold the source's ls-refs requests until four
    // are waiting at once — one lane per repository could never get there (the fallback releases them
    // after 20 s so that a regression fails instead of hanging).
    let held = 0, peakHeld = 0;
    let release!: () => void;
    const until = new Promise<void>((r) => release = r);
    const fallback = setTimeout(release, 20_000);
    f.gl.faults.push({
      match: /\/git-upload-pack$/,
      kind: "hold",
      until: until.then(() => {
        held = 0;
      }),
      times: names.length,
      onHold: () => {
        peakHeld = Math.max(peakHeld, ++held);
        if (held === 4) release();
      },
    });
    const before = f.gl.log.length;
    const second = await f.run({ config });
    clearTimeout(fallback);
    assert.equal(second.error, undefined, String(second.error));
    assert.equal(second.result.successful, names.length, second.out);
    assert.ok(second.result.repositories.every((r) => r.up_to_date), second.out);
    assert.equal(peakHeld, 4, "fewer than four repositories were checked at once");
    const checks = f.gl.log.slice(before).filter((e) => e.op === "ls-refs");
    assert.equal(checks.length, names.length);
    assert.equal(f.gl.log.slice(before).filter((e) => e.op === "fetch").length, 0, "nothing was fetched");
  } finally {
    await f.close();
  }
});

Deno.test("sync: a refused write stops the run for the repositories still waiting for git, one-way and bidirectional", async () => {
  for (const mode of ["one-way", "bidirectional"] as const) {
    const f = await startSyncFixture();
    try {
      // The target token may read but not write: every push (and REST create) is refused with 403.
      f.gh.options.tokens.splice(0, f.gh.options.tokens.length, "someone-else-tok");
      f.gh.options.readOnlyTokens = [CANARY];
      const names = ["a", "b", "c", "d", "e", "f"];
      for (const n of names) {
        seedHistory(f.gl.addRepo(`backend/${n}`).dir, { commits: 1 });
        f.gh.addRepo(`myorg/${n}`); // exists, empty: the repository needs a push
      }
      const base = f.config({
        concurrency: {
          max_parallel: 1,
          timeout_per_repo_seconds: 30,
          max_retries: 0,
          retry_backoff_seconds: 0.05,
        },
      });
      const config = mode === "one-way" ? base : {
        ...base,
        sync: {
          mode: "bidirectional" as const,
          conflict_resolution: "fail" as const,
          propagate_deletes: false,
          prune: false,
          state_dir: tempDir("rc-gate-bidi-"),
        },
      };
      const r = await f.run({ config });
      assert.ok(r.authError ?? r.error, `${mode}: ${r.out}`);
      const refused = f.gh.log.filter((e) => e.status === 403);
      assert.equal(refused.length, 1, `${mode}: one refused write, then the run stopped`);
      // Checked at once (four lanes), but only the one holding the git place got as far as writing.
      assert.equal(r.result.repositories.length, 1, `${mode}: ${r.out}`);
      assert.equal(r.result.not_started.length, names.length - 1, mode);
    } finally {
      await f.close();
    }
  }
});
