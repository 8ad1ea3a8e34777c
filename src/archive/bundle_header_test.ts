import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tests/support/binary.ts";
import { git, gitEnv } from "../../tests/support/make_archive.ts";
import { BundleHeaderParser, isValidRefName, parseBundleHeader } from "./bundle_header.ts";

/** A small real repository: two commits, a branch, annotated + lightweight tags, a non-ASCII branch. */
function repo(format: "sha1" | "sha256" = "sha1"): { dir: string; env: Record<string, string> } {
  const root = tempDir("rc-bundle-");
  const env = gitEnv(root);
  const dir = join(root, "r");
  mkdirSync(dir);
  git(dir, ["init", "-q", "-b", "main", `--object-format=${format}`], env);
  writeFileSync(join(dir, "a"), "a\n");
  git(dir, ["add", "a"], env);
  git(dir, ["commit", "-q", "-m", "first commit"], env);
  git(dir, ["tag", "-a", "v1", "-m", "one"], env);
  writeFileSync(join(dir, "b"), "b\n");
  git(dir, ["add", "b"], env);
  git(dir, ["commit", "-q", "-m", "second"], env);
  git(dir, ["branch", "fëature"], env);
  git(dir, ["tag", "light"], env);
  return { dir, env };
}

function bundle(r: { dir: string; env: Record<string, string> }, args: string[]): Uint8Array {
  const file = join(r.dir, "..", `b${Math.random().toString(16).slice(2)}.bundle`);
  execFileSync(
    "git",
    ["bundle", "create", "-q", ...args.slice(0, -1), file, ...args.slice(-1)[0].split(" ")],
    {
      cwd: r.dir,
      env: r.env,
    },
  );
  return readFileSync(file);
}

function refsOf(r: { dir: string; env: Record<string, string> }): { name: string; oid: string }[] {
  return git(r.dir, ["for-each-ref", "--format=%(objectname) %(refname)"], r.env).trim().split("\n").map(
    (l) => {
      const [oid, name] = l.split(" ");
      return { name, oid };
    },
  );
}

Deno.test("parseBundleHeader() reads real git bundles", async (t) => {
  const r = repo();
  const head = git(r.dir, ["rev-parse", "HEAD"], r.env).trim();
  const expectedRefs = [...refsOf(r), { name: "HEAD", oid: head }];
  await t.step("v2 --all", () => {
    const bytes = bundle(r, ["--all"]);
    const h = parseBundleHeader(bytes);
    assert.equal(h.version, 2);
    assert.equal(h.objectFormat, "sha1");
    assert.deepEqual(h.prerequisites, []);
    assert.deepEqual(h.refs, expectedRefs);
    assert.equal(new TextDecoder().decode(bytes.subarray(h.length, h.length + 4)), "PACK");
  });
  await t.step("v3 --all", () => {
    const h = parseBundleHeader(bundle(r, ["--version=3", "--all"]));
    assert.equal(h.version, 3);
    assert.equal(h.objectFormat, "sha1");
    assert.deepEqual(h.refs, expectedRefs);
  });
  await t.step("incremental: prerequisite with its comment", () => {
    const first = git(r.dir, ["rev-parse", "HEAD~1"], r.env).trim();
    const h = parseBundleHeader(bundle(r, ["main ^HEAD~1"]));
    assert.deepEqual(h.prerequisites, [{ oid: first, comment: "first commit" }]);
    assert.deepEqual(h.refs, [{ name: "refs/heads/main", oid: head }]);
  });
  await t.step("sha256 repository (v3, @object-format=sha256)", () => {
    const r256 = repo("sha256");
    const h = parseBundleHeader(bundle(r256, ["--all"]));
    assert.equal(h.version, 3);
    assert.equal(h.objectFormat, "sha256");
    assert.equal(h.refs[0].oid.length, 64);
    assert.deepEqual(h.refs.slice(0, -1), refsOf(r256));
  });
  await t.step("streaming, one byte at a time", () => {
    const bytes = bundle(r, ["--all"]);
    const whole = parseBundleHeader(bytes);
    const p = new BundleHeaderParser();
    let at: number | undefined;
    let i = 0;
    for (; i < bytes.length && at === undefined; i++) at = p.push(bytes.subarray(i, i + 1));
    assert.equal(i, whole.length);
    assert.equal(at, 1);
    assert.deepEqual(p.header, whole);
  });
});

Deno.test("parseBundleHeader() refuses malformed headers with a named line", async (t) => {
  const oid = "a".repeat(40);
  const cases: [string, string, RegExp][] = [
    ["not a bundle", "PK\u0003\u0004zipzip", /not a git bundle/],
    ["v4", "# v4 git bundle\n\n", /not a git bundle/],
    ["unknown capability", "# v3 git bundle\n@frobnicate=1\n\n", /line 2: unknown capability "frobnicate"/],
    ["unknown object format", "# v3 git bundle\n@object-format=md5\n\n", /unknown object format "md5"/],
    [
      "capability in v2",
      "# v2 git bundle\n@object-format=sha1\n\n",
      /capability after references or in a v2/,
    ],
    [
      "capability after refs",
      `# v3 git bundle\n${oid} refs/heads/a\n@filter=blob:none\n\n`,
      /line 3: capability after/,
    ],
    [
      "uppercase oid",
      `# v2 git bundle\n${"A".repeat(40)} refs/heads/a\n\n`,
      /line 2: malformed reference line/,
    ],
    ["short oid", `# v2 git bundle\n${"a".repeat(39)} refs/heads/a\n\n`, /malformed reference line/],
    [
      "sha1 id in sha256 bundle",
      `# v3 git bundle\n@object-format=sha256\n${oid} refs/heads/a\n\n`,
      /malformed reference/,
    ],
    [
      "ref with space",
      `# v2 git bundle\n${oid} refs/heads/a b\n\n`,
      /invalid reference name "refs\/heads\/a b"/,
    ],
    ["ref with ..", `# v2 git bundle\n${oid} refs/heads/../x\n\n`, /invalid reference name/],
    ["ref with @{", `# v2 git bundle\n${oid} refs/heads/a@{1}\n\n`, /invalid reference name/],
    ["ref outside refs/", `# v2 git bundle\n${oid} heads/a\n\n`, /invalid reference name/],
    ["ref with CR", `# v2 git bundle\n${oid} refs/heads/a\r\n\n`, /invalid reference name/],
    [
      "duplicate ref",
      `# v2 git bundle\n${oid} refs/heads/a\n${oid} refs/heads/a\n\n`,
      /line 3: reference "refs\/heads\/a" listed twice/,
    ],
    ["duplicate prerequisite", `# v2 git bundle\n-${oid} x\n-${oid} y\n\n`, /prerequisite a+ listed twice/],
    ["bad prerequisite", `# v2 git bundle\n-${oid}x\n\n`, /malformed prerequisite line/],
    ["no blank line", `# v2 git bundle\n${oid} refs/heads/a\n`, /incomplete/],
  ];
  for (const [name, text, re] of cases) {
    await t.step(name, () => assert.throws(() => parseBundleHeader(new TextEncoder().encode(text)), re));
  }
  await t.step("non-UTF-8 ref name", () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode(`# v2 git bundle\n${oid} refs/heads/`),
      0xff,
      0x0a,
      0x0a,
    ]);
    assert.throws(() => parseBundleHeader(bytes), /not valid UTF-8/);
  });
  await t.step("line over the limit fails without waiting for a newline", () => {
    const p = new BundleHeaderParser();
    p.push(new TextEncoder().encode("# v2 git bundle\n"));
    assert.throws(() => {
      for (let i = 0; i < 20; i++) p.push(new Uint8Array(100_000).fill(0x61));
    }, /longer than 1048576 bytes/);
  });
});

Deno.test("isValidRefName() follows git check-ref-format", async (t) => {
  const ok = ["HEAD", "refs/heads/main", "refs/tags/v1.0", "refs/heads/feature/ü-naïve", "refs/heads/a-b_c"];
  const bad = [
    "",
    "main",
    "refs/heads/",
    "refs/heads/a.",
    "refs/heads/.a",
    "refs/heads/a.lock",
    "refs/heads/a..b",
    "refs/heads/a~1",
    "refs/heads/a^",
    "refs/heads/a:b",
    "refs/heads/a?",
    "refs/heads/a*",
    "refs/heads/a[",
    "refs/heads/a\\b",
    "refs/heads//a",
    "refs/heads/a@{b",
    "refs/heads/a\u0000",
  ];
  for (const n of ok) await t.step(`ok ${n}`, () => assert.equal(isValidRefName(n), true));
  for (const n of bad) await t.step(`bad ${JSON.stringify(n)}`, () => assert.equal(isValidRefName(n), false));
});
