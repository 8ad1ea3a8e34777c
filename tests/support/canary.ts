/**
 * The suite-wide secret canary: every test that needs a token uses {@link CANARY}; this helper fails the
 * test when the canary (or its Basic-auth/base64/URL-encoded forms) shows up in any process output, file,
 * directory tree (`.git/config` included), archive (raw and decompressed) or git child command line.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CANARY, type RunResult } from "./binary.ts";
import { sampleProcesses } from "./proc_scan.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64").replace(/=+$/, "");

/** Every form a leaked canary could take. */
export function canaryForms(secret = CANARY): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    b64(secret),
    b64(`x-access-token:${secret}`),
    b64(`oauth2:${secret}`),
    b64(`git:${secret}`),
  ].filter((v, i, all) => all.indexOf(v) === i);
}

/** What {@link assertNoCanary} scans besides process outputs. */
export interface CanaryScanOptions {
  /** Files scanned raw; `.gz`/`.tgz` files are scanned decompressed too. Missing files fail the test. */
  files?: string[];
  /** Directory trees scanned file by file (`.git/config`, logs, restored repositories). */
  dirs?: string[];
  /** Command lines seen while the operation ran (see {@link watchCommandLines}). */
  cmdlines?: string[];
  /** The secret. Default {@link CANARY}. */
  secret?: string;
}

function needleFile(forms: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "rc-canary-"));
  const file = join(dir, "needles");
  writeFileSync(file, forms.join("\n") + "\n");
  return file;
}

function grep(script: string, args: string[]): string {
  const r = spawnSync("sh", ["-c", script, "sh", ...args], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`canary scan failed: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Fails when the canary appears anywhere in `outputs` (run results or strings) or in what `options`
 * names. Scans files with grep (archives decompressed with gzip), never reading them into memory.
 */
export function assertNoCanary(
  outputs: Array<RunResult | string>,
  options: CanaryScanOptions = {},
): void {
  const forms = canaryForms(options.secret);
  const texts = outputs.flatMap((o) => typeof o === "string" ? [o] : [o.stdout, o.stderr]);
  for (const [i, text] of texts.entries()) {
    const hit = forms.find((f) => text.includes(f));
    assert.ok(
      !hit,
      `the canary leaked into output #${i}: …${
        text.slice(Math.max(0, text.indexOf(hit!) - 80), text.indexOf(hit!) + 40)
      }…`,
    );
  }
  for (const line of options.cmdlines ?? []) {
    const hit = forms.find((f) => line.includes(f));
    assert.ok(!hit, `the canary leaked into a command line: ${line.slice(0, 300)}`);
  }
  const needles = needleFile(forms);
  for (const file of options.files ?? []) {
    assert.ok(existsSync(file), `canary scan: "${file}" does not exist`);
    assert.equal(grep('grep -c -a -F -f "$1" "$2"', [needles, file]), "0", `the canary leaked into ${file}`);
    if (/\.(gz|tgz)$/.test(file)) {
      const n = grep('gzip -dc "$2" | grep -c -a -F -f "$1"', [needles, file]);
      assert.equal(n, "0", `the canary leaked into ${file} (decompressed)`);
    }
  }
  for (const dir of options.dirs ?? []) {
    assert.ok(existsSync(dir), `canary scan: "${dir}" does not exist`);
    const hits = grep('grep -r -l -a -F -f "$1" "$2"', [needles, dir]);
    assert.equal(hits, "", `the canary leaked into files under ${dir}:\n${hits}`);
  }
}

/**
 * Starts sampling every process's command line (every 10 ms) while an operation runs; `stop()` returns
 * the distinct git command lines seen (and how many samples were taken, so a test can insist on
 * having watched long enough).
 */
export function watchCommandLines(): { stop(): { git: string[]; all: string[] } } {
  const sampler = sampleProcesses(10);
  return {
    stop() {
      const all = sampler.stop();
      return { all, git: all.filter((l) => /(^|\/)git(-[a-z-]+)? /.test(l) || /^git /.test(l)) };
    },
  };
}
