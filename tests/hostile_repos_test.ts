/**
 * Hostile repositories and hostile git configuration, with the compiled binary: a HOME whose
 * `.gitconfig` installs hooks everywhere (core.hooksPath, init.templateDir) and a core.fsmonitor
 * program, a source repository whose own config and hooks do the same, a `.gitmodules` that fails
 * fsck, an outward symlink next to LFS content, and option-like sources and targets. Each hook writes a
 * marker; the markers must never appear (and a control run with plain git proves they would).
 * Run `bash scripts/compile.sh` first.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { CANARY, runBinary, tempDir } from "./support/binary.ts";
import { startGitHttpServer } from "./support/git_http.ts";

const HOOKS = [
  "pre-commit",
  "post-commit",
  "post-checkout",
  "post-merge",
  "post-rewrite",
  "reference-transaction",
  "pre-push",
  "pre-receive",
  "update",
  "post-receive",
  "post-update",
  "push-to-checkout",
  "post-index-change",
  "pre-auto-gc",
  "fsmonitor-watchman",
];

function sh(cwd: string, script: string, env: Record<string, string> = {}): string {
  const r = spawnSync("sh", ["-c", script], { cwd, encoding: "utf8", env: { ...process.env, ...env } });
  assert.equal(r.status, 0, `${script}\n${r.stderr}`);
  return r.stdout;
}

/** A hooks directory whose every hook, and an fsmonitor program, append their name to `marker`. */
function hostileHooks(dir: string, marker: string): { hooks: string; fsmonitor: string } {
  const hooks = join(dir, "hooks");
  mkdirSync(hooks, { recursive: true });
  for (const name of HOOKS) {
    writeFileSync(join(hooks, name), `#!/bin/sh\necho "hook ${name}" >> "${marker}"\nexit 0\n`);
    chmodSync(join(hooks, name), 0o755);
  }
  const fsmonitor = join(dir, "fsmonitor.sh");
  writeFileSync(fsmonitor, `#!/bin/sh\necho "fsmonitor $*" >> "${marker}"\nexit 1\n`);
  chmodSync(fsmonitor, 0o755);
  return { hooks, fsmonitor };
}

Deno.test("hooks, template hooks and core.fsmonitor from the user's and the source's config never run", async () => {
  const dir = tempDir("rc-hostile-cfg-");
  const marker = join(dir, "MARKER");
  const { hooks, fsmonitor } = hostileHooks(join(dir, "evil"), marker);
  const tpl = join(dir, "template");
  mkdirSync(tpl);
  sh(dir, `cp -r "${hooks}" "${tpl}/hooks"`);
  const home = join(dir, "home");
  mkdirSync(home);
  writeFileSync(
    join(home, ".gitconfig"),
    `[core]\n\thooksPath = ${hooks}\n\tfsmonitor = ${fsmonitor}\n[init]\n\ttemplateDir = ${tpl}\n` +
      `[user]\n\tname = t\n\temail = t@e\n`,
  );
  // Control: plain git with this HOME runs the hooks and the fsmonitor (so an absent marker means something).
  const control = join(dir, "control");
  sh(
    dir,
    `git init -q -b main "${control}" && cd "${control}" && git commit -q --allow-empty -m x && git status >/dev/null`,
    {
      HOME: home,
    },
  );
  const seen = readFileSync(marker, "utf8");
  assert.match(seen, /hook (post-commit|reference-transaction)/);
  assert.match(seen, /fsmonitor/);
  writeFileSync(marker, "");

  // The source repository: built without hooks, then given hostile config and hooks of its own.
  const src = join(dir, "src");
  sh(
    dir,
    `git init -q -b main src && cd src && echo a > a.txt && git add a.txt && git -c core.hooksPath=/dev/null commit -qm one`,
    {
      HOME: home,
      GIT_CONFIG_NOSYSTEM: "1",
    },
  );
  writeFileSync(marker, "");
  sh(
    src,
    `git config core.fsmonitor "${fsmonitor}" && git config core.hooksPath "${hooks}" && cp "${hooks}"/* .git/hooks/`,
  );
  // The target is served over http by this test process: its receive hooks are the server's business
  // (a local-path target's receive-pack runs that repository's own hooks, as any push to it does).
  const root = join(dir, "server");
  mkdirSync(root);
  sh(dir, `git init -q --bare "${root}/target.git"`, { HOME: join(dir, "plainhome") });
  const server = await startGitHttpServer({ root, tokens: [CANARY] });
  writeFileSync(marker, "");

  const env = { HOME: home, TARGET_TOKEN: CANARY };
  const out = join(dir, "out");
  try {
    const c = await runBinary(["archive", "create", src, "-o", out, "--no-dependencies"], { env });
    assert.equal(c.code, 0, c.stdout + c.stderr);
    const archive = join(out, readdirSync(out).find((n) => n.endsWith(".tar.gz"))!);
    const target = `${server.url}/target.git`;
    const r = await runBinary([
      "archive",
      "restore",
      archive,
      "-o",
      join(dir, "restored"),
      "--target",
      target,
    ], {
      env,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  } finally {
    await server.close();
  }
  assert.ok(existsSync(join(dir, "restored", "src", "a.txt")));
  assert.equal(readFileSync(marker, "utf8"), "", "a hook or the fsmonitor ran");
});

Deno.test("a .gitmodules with a path traversal and an option-like URL: refused at clone (http) and at restore", async () => {
  const dir = tempDir("rc-hostile-gitmodules-");
  const env = { HOME: join(dir, "home") };
  mkdirSync(env.HOME);
  const evil = join(dir, "evil");
  sh(
    dir,
    `git init -q -b main evil && cd evil && ` +
      `printf '[submodule "x"]\\n\\tpath = ../../escape\\n\\turl = -oProxyCommand=touch%%20${dir}/pwned\\n' > .gitmodules && ` +
      `git add .gitmodules && git -c user.name=t -c user.email=t@e commit -qm evil`,
    env,
  );
  // Over http, transfer.fsckObjects refuses the objects during the clone.
  const root = join(dir, "server");
  mkdirSync(root);
  sh(dir, `git clone -q --bare evil "${root}/evil.git"`, env);
  const server = await startGitHttpServer({ root, tokens: [CANARY] });
  try {
    const c = await runBinary(
      ["archive", "create", `${server.url}/evil.git`, "-o", join(dir, "out-http"), "--no-dependencies"],
      { env: { ...env, SOURCE_TOKEN: CANARY } },
    );
    assert.equal(c.code, 3, c.stdout + c.stderr);
    assert.match(
      c.stderr,
      /git's object check refused the repository \(object [0-9a-f]+: gitmodules(Url|Path): /,
    );
    assert.equal(c.stderr.trimEnd().split("\n").length, 1, c.stderr);
    assert.deepEqual(readdirSync(join(dir, "out-http")).filter((n) => !n.startsWith(".")), []);
  } finally {
    await server.close();
  }
  // From a local path the objects are copied, not transferred: restore's fsck refuses them (exit 3).
  const c = await runBinary(["archive", "create", evil, "-o", join(dir, "out"), "--no-dependencies"], {
    env,
  });
  assert.equal(c.code, 0, c.stderr);
  const archive = join(dir, "out", readdirSync(join(dir, "out")).find((n) => n.endsWith(".tar.gz"))!);
  const restored = join(dir, "restored");
  const r = await runBinary(["archive", "restore", archive, "-o", restored], { env });
  assert.equal(r.code, 3, r.stdout + r.stderr);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0],
    /^✗ Cannot restore: git fsck found errors .*gitmodulesUrl: disallowed submodule url/,
  );
  assert.deepEqual(readdirSync(restored), [], "staging and the partial repository were removed");
  assert.ok(!existsSync(join(dir, "pwned")) && !existsSync(join(dir, "escape")));
});

Deno.test("an outward symlink beside LFS content: restore recreates the link and writes nothing through it", async () => {
  const dir = tempDir("rc-hostile-symlink-");
  const outside = join(dir, "outside");
  mkdirSync(outside);
  const env = { HOME: join(dir, "home") };
  mkdirSync(env.HOME);
  sh(
    dir,
    `git init -q -b main src && cd src && git lfs install --local >/dev/null && git lfs track '*.bin' >/dev/null && ` +
      `ln -s "${outside}" escape && ln -s ../../../../../../../../etc/passwd passwd-link && ` +
      `head -c 4096 /dev/urandom > escape-data.bin && git add -A && ` +
      `git -c user.name=t -c user.email=t@e commit -qm hostile`,
    env,
  );
  const out = join(dir, "out");
  const c = await runBinary(["archive", "create", join(dir, "src"), "-o", out, "--no-dependencies"], { env });
  assert.equal(c.code, 0, c.stdout + c.stderr);
  const archive = join(out, readdirSync(out).find((n) => n.endsWith(".tar.gz"))!);
  const r = await runBinary(["archive", "restore", archive, "-o", join(dir, "restored")], { env });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const repo = join(dir, "restored", "src");
  assert.ok(lstatSync(join(repo, "escape")).isSymbolicLink());
  assert.equal(readlinkSync(join(repo, "escape")), outside);
  assert.ok(lstatSync(join(repo, "passwd-link")).isSymbolicLink());
  assert.equal(lstatSync(join(repo, "escape-data.bin")).size, 4096, "LFS content checked out as a file");
  assert.deepEqual(readdirSync(outside), [], "nothing was written through the symlink");
});

Deno.test("option-like and transport-helper sources and targets are refused before any process or network use", async (t) => {
  const dir = tempDir("rc-hostile-urls-");
  const marker = join(dir, "pwned");
  const archive = join(dir, "a.tar.gz");
  writeFileSync(archive, "not used");
  const cases: Array<[string, string[], RegExp]> = [
    [
      "ssh://-o host",
      ["archive", "create", `ssh://-oProxyCommand=touch%20${marker}/x.git`],
      /host starts with "-"/,
    ],
    ["ext:: source", ["archive", "create", `ext::sh -c touch% ${marker}`], /transport helpers \("ext::"\)/],
    ["fd:: source", ["archive", "create", "fd::3"], /transport helpers \("fd::"\)/],
    ["file:: source", ["archive", "create", `file::${dir}`], /transport helpers \("file::"\)/],
    ["option source", ["archive", "create", "--", `--upload-pack=touch ${marker}`], /starts with "-"/],
    ["scp host option", ["archive", "create", "git@-oProxyCommand=touch_pwned:r.git"], /starts with "-"/],
    [
      "ext:: target",
      ["archive", "restore", archive, "--target", `ext::sh -c touch% ${marker}`],
      /transport helpers/,
    ],
    [
      "ssh://-o target",
      ["archive", "restore", archive, "--target", `ssh://-oProxyCommand=x/r.git`],
      /host starts with "-"/,
    ],
  ];
  for (const [name, args, why] of cases) {
    await t.step(name, async () => {
      const r = await runBinary(args, { cwd: dir });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, why);
      assert.ok(!existsSync(marker), "a command ran");
    });
  }
});
