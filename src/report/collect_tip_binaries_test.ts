import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectTipBinaries } from "./collect_tip_binaries.ts";

const ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "A",
  GIT_AUTHOR_EMAIL: "a@example.test",
  GIT_COMMITTER_NAME: "C",
  GIT_COMMITTER_EMAIL: "c@example.test",
};

function git(dir: string, args: string[], input?: string | Buffer): Buffer {
  return execFileSync("git", ["-C", dir, ...args], { input, env: { ...ENV, HOME: dir } });
}

const withNul = (size: number, at: number) => {
  const b = Buffer.alloc(size, 0x61);
  b[at] = 0;
  return b;
};
/** "fé" in Latin-1: a file name that is not UTF-8. */
const LATIN1_NAME = Buffer.from([0x66, 0xe9, 0x2d, 0x6d, 0x61, 0x72, 0x6b, 0x65, 0x64]);

function commitAll(work: string, message: string): string {
  git(work, ["add", "-A"]);
  git(work, ["commit", "-q", "-m", message]);
  return git(work, ["rev-parse", "HEAD"]).toString().trim();
}

/** Files git's own `diff --numstat` calls binary at each tip: `-\t-\t<path>` against the empty tree. */
function gitsAnswer(gitDir: string, tips: string[]): Set<string> {
  const empty = git(gitDir, ["hash-object", "-t", "tree", "/dev/null"]).toString().trim();
  const out = new Set<string>();
  for (const tip of tips) {
    const raw = git(gitDir, ["diff-tree", "-r", "-z", "--numstat", "--no-renames", empty, `${tip}^{tree}`]);
    const fields = raw.toString("latin1").split("\0");
    for (const f of fields) {
      const m = /^-\t-\t(.*)$/s.exec(f);
      if (m) out.add(Buffer.from(m[1], "latin1").toString("utf8"));
    }
  }
  return out;
}

Deno.test("collectTipBinaries() finds exactly the files git diff calls binary at the tips", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rc-tipbin-"));
  try {
    const work = join(dir, "work");
    execFileSync("git", ["init", "-q", "-b", "main", work]);
    mkdirSync(join(work, "deep/er"), { recursive: true });
    writeFileSync(join(work, "README"), "hello\n");
    writeFileSync(join(work, "gone.bin"), withNul(100, 3));
    commitAll(work, "first");
    git(work, ["rm", "-q", "gone.bin"]);
    writeFileSync(join(work, "nul-early.bin"), withNul(50, 1));
    writeFileSync(join(work, "nul-late.txt"), withNul(9000, 8500)); // past git's 8000 bytes: text
    writeFileSync(join(work, "nul-at-7999.txt"), withNul(9000, 7999));
    writeFileSync(join(work, "nul-at-8000.txt"), withNul(9000, 8000));
    writeFileSync(join(work, "marked.dat"), "plain text, but -diff\n");
    writeFileSync(join(work, "macro.asset"), "plain text, but binary\n");
    writeFileSync(join(work, "deep/er/copy-a.bin"), withNul(64, 0));
    writeFileSync(join(work, "deep/copy-b.bin"), withNul(64, 0)); // same blob, second path
    writeFileSync(join(work, "flip.txt"), "text on main\n");
    writeFileSync(join(work, "tool.sh"), withNul(30, 10), { mode: 0o755 });
    writeFileSync(join(work, "empty"), "");
    // The same characters in UTF-8 are another name: the Latin-1 attribute line must not match it.
    writeFileSync(join(work, LATIN1_NAME.toString("latin1")), "x");
    symlinkSync("nul-early.bin", join(work, "link-to-binary"));
    git(work, ["add", "-A"]);
    // A name that is not UTF-8 goes in through the index (file APIs here take UTF-8 paths only).
    const blob = git(work, ["hash-object", "-w", "--stdin"], "latin-1 name, -diff\n").toString().trim();
    git(
      work,
      ["update-index", "--index-info"],
      Buffer.concat([
        Buffer.from(`100644 ${blob}\t`),
        LATIN1_NAME,
        Buffer.from("\n"),
      ]),
    );
    git(work, ["commit", "-q", "-m", "second"]); // not `add -A`: the Latin-1 name has no file
    const main = git(work, ["rev-parse", "HEAD"]).toString().trim();
    git(work, ["checkout", "-q", "-b", "dev"]);
    writeFileSync(join(work, "flip.txt"), withNul(20, 2));
    const dev = commitAll(work, "flip");
    git(work, ["checkout", "-q", "main"]);
    const gitDir = join(dir, "m.git");
    execFileSync("git", ["clone", "-q", "--bare", work, gitDir], { env: ENV });
    // A bare clone reads attributes from info/attributes, as `git diff` there does.
    writeFileSync(
      join(gitDir, "info/attributes"),
      Buffer.concat([
        Buffer.from("*.dat -diff\n*.asset binary\n"),
        LATIN1_NAME,
        Buffer.from(" -diff\n"),
      ]),
    );

    const found = await collectTipBinaries(gitDir, [main, dev]);
    const paths = found.files.map((f) => f.path);
    assert.deepEqual(new Set(paths), gitsAnswer(gitDir, [main, dev]), "git's own answer");
    assert.equal(found.total, paths.length);
    assert.equal(paths.length, new Set(paths).size, "each path once");
    for (const p of ["nul-early.bin", "nul-at-7999.txt", "marked.dat", "macro.asset", "tool.sh"]) {
      assert.ok(paths.includes(p), p);
    }
    assert.ok(paths.includes("deep/er/copy-a.bin") && paths.includes("deep/copy-b.bin"), "both copies");
    assert.ok(paths.includes("f\uFFFD-marked"), "a Latin-1 name matched its attribute line");
    for (
      const p of [
        "gone.bin",
        "nul-late.txt",
        "nul-at-8000.txt",
        "README",
        "link-to-binary",
        "empty",
        "fé-marked",
      ]
    ) {
      assert.ok(!paths.includes(p), `${p} is not binary at any tip`);
    }
    const byPath = Object.fromEntries(found.files.map((f) => [f.path, f.commit]));
    assert.equal(byPath["flip.txt"], dev, "attributed to the first tip where it is binary");
    assert.equal(byPath["nul-early.bin"], main, "attributed to the first tip in the order given");

    const cut = await collectTipBinaries(gitDir, [main, dev], { limit: 2 });
    assert.equal(cut.total, found.total, "the total stays exact");
    assert.deepEqual(cut.files, found.files.slice(0, 2));
    assert.deepEqual(await collectTipBinaries(gitDir, []), { total: 0, files: [] });

    // Larger than core.bigFileThreshold: binary to git diff, whatever the content.
    git(gitDir, ["config", "core.bigFileThreshold", "8k"]);
    const big = (await collectTipBinaries(gitDir, [main, dev])).files.map((f) => f.path);
    assert.deepEqual(new Set(big), gitsAnswer(gitDir, [main, dev]), "git's own answer, small threshold");
    assert.ok(big.includes("nul-late.txt") && big.includes("nul-at-8000.txt"), "9000-byte files are big");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
