/** `archive create` publishes the spec's archive metrics into the shared textfile (compiled binary). */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBinary, tempDir } from "./support/binary.ts";
import { parseExposition, promtoolCheckMetrics } from "./support/prometheus_tools.ts";

Deno.test("archive create: repo_cloner_archive_size_bytes{type} is the archive's size; counts continue", async () => {
  const dir = tempDir("rc-ops-archive-");
  const src = join(dir, "backend-api");
  const git = (args: string[]) =>
    execFileSync("git", ["-C", src, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args]);
  execFileSync("git", ["init", "-q", "-b", "main", src]);
  writeFileSync(join(src, "README.md"), "hello\n");
  git(["add", "README.md"]);
  git(["commit", "-q", "-m", "first"]);
  const textfile = join(dir, "textfile", "repo_cloner.prom");
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    `metrics:\n  textfile: ${textfile}\n  state_file: ${join(dir, "metrics-state.json")}\n`,
  );
  const args = ["archive", "create", src, "--no-dependencies", "--config", config];
  const r1 = await runBinary([...args, "--output", join(dir, "out1")]);
  assert.equal(r1.code, 0, r1.stdout + r1.stderr);
  const archive = readdirSync(join(dir, "out1")).find((n) => n.endsWith(".tar.gz"))!;
  const size = statSync(join(dir, "out1", archive)).size;
  const text = readFileSync(textfile, "utf8");
  assert.ok(promtoolCheckMetrics(text).ok, promtoolCheckMetrics(text).output);
  const m = parseExposition(text);
  assert.equal(m.get('repo_cloner_archive_size_bytes{type="full"}'), size);
  const duration = m.get("repo_cloner_archive_creation_duration_seconds");
  assert.ok(duration !== undefined && duration >= 0 && duration < 600, `duration ${duration}`);
  assert.equal(m.get('repo_cloner_archives_created_total{type="full"}'), 1);

  const r2 = await runBinary([...args, "--output", join(dir, "out2")]);
  assert.equal(r2.code, 0, r2.stdout + r2.stderr);
  assert.equal(
    parseExposition(readFileSync(textfile, "utf8")).get('repo_cloner_archives_created_total{type="full"}'),
    2,
  );
});
