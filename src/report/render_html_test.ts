import assert from "node:assert/strict";
import { type Manifest, manifestSchema } from "../archive/manifest.ts";
import { renderReportHtml } from "./render_html.ts";
import { buildReportModel } from "./report_model.ts";
import { type ReviewData, reviewSchema } from "./review_schema.ts";

const EVIL_REF = 'refs/heads/<script>alert("ref")</script>';
const EVIL_AUTHOR = `Mallory "><img src=x onerror=alert(1)>`;
const EVIL_FILE = "</td><script>alert('file')</script>\u202Egnp.exe";
const EVIL_PKG = "<iframe srcdoc=x>";
const A = "a".repeat(40);
const B = "b".repeat(40);

function manifest(): Manifest {
  const full = manifestSchema.parse({
    format_version: 1,
    archive_id: "0f0e0d0c-0000-4000-8000-000000000001",
    type: "full",
    created_at: "2025-10-13T14:00:00.000Z",
    tool: { name: "repo-cloner", version: "0.1.0" },
    repository: { name: "app" },
    source: { url: "https://git.example.test/g/app.git?x=<b>", default_branch: "main", head: B },
    refs: { "refs/heads/main": B, [EVIL_REF]: B },
    bundle: { path: "repo.bundle", sha256: "c".repeat(64), size: 1234, prerequisites: [A] },
    base: null,
    lfs: { objects: [] },
    dependencies: {},
    files: [{ path: "repo.bundle", sha256: "c".repeat(64), size: 1234 }],
  });
  const base = { archive_id: "base-0001", sha256: "d".repeat(64), refs_sha256: "e".repeat(64) };
  return { ...full, type: "incremental", base, deleted_refs: ["refs/tags/old"] };
}

function review(): ReviewData {
  const author = { name: EVIL_AUTHOR, email: "m@evil.test", commits: 2 };
  return {
    format_version: 1,
    created_at: "2025-10-13T14:00:00.000Z",
    repository: { name: "app", url: "https://git.example.test/g/app.git", default_branch: "main", head: B },
    base: { archive_id: "base-0001", tips_found: 1, tips_missing: 0 },
    refs: [
      {
        name: "refs/heads/main",
        kind: "branch",
        change: "updated",
        old: A,
        new: B,
        range: { from: A, to: B, excludes_base: false },
        commits: 2,
        authors: [author],
        authors_total: 1,
      },
      {
        name: EVIL_REF,
        kind: "branch",
        change: "rewritten",
        old: A,
        new: B,
        range: { from: null, to: B, excludes_base: true },
        commits: 2,
        authors: [author],
        authors_total: 1,
      },
    ],
    history: { commits: 2, authors: [author], authors_total: 1, new_authors: [author], new_authors_total: 1 },
    objects: { blobs: 1, blob_bytes: 5000, largest: [{ path: EVIL_FILE, oid: "e".repeat(40), size: 5000 }] },
    binary_files: { total: 1, files: [{ path: EVIL_FILE, commit: B }] },
    lfs: { objects: 1, bytes: 10, largest: [{ oid: "f".repeat(64), size: 10 }] },
    dependencies: {
      ecosystems: [{ ecosystem: "nodejs", status: "included", reason: null, packages: 1 }],
      packages: [{
        ecosystem: "nodejs",
        name: EVIL_PKG,
        version: "1.0.0",
        license: "<b>MIT</b>",
        filename: "dependencies/nodejs/npm-cache/x",
        sha256: "1".repeat(64),
        size: 3,
        kind: "npm",
        install_script: true,
        install_script_reason: "npm lockfile: hasInstallScript",
      }],
    },
    limits: { refs_detailed: 2, authors_per_ref: 20, authors: 500, largest: 25, binary_files: 200 },
  };
}

const ALLOWED_TAGS = new Set(
  "html head meta title style body h1 h2 h3 p div section footer table thead tbody tr th td dl dt dd ul li code span strong br"
    .split(" "),
);
const ALLOWED_ATTRIBUTES = new Set([
  "lang",
  "charset",
  "http-equiv",
  "content",
  "name",
  "class",
  "title",
  "id",
]);

Deno.test("renderReportHtml() escapes every repository value: only our own tags and attributes exist", () => {
  const model = buildReportModel(manifest(), {
    review: review(),
    archive: {
      name: "app-incremental-20251013-140000.tar.gz",
      sha256: "9".repeat(64),
      size: 2048,
      verified: true,
    },
    signature: { status: "unsigned", file: "app-incremental-20251013-140000.tar.gz.minisig" },
  });
  const html = renderReportHtml(model);
  const body = html.slice(html.indexOf("</style>"));
  for (const m of body.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>/g)) {
    assert.ok(ALLOWED_TAGS.has(m[1].toLowerCase()), `unexpected tag <${m[1]}> in ${m[0]}`);
    for (const a of m[2].matchAll(/([a-zA-Z-]+)=/g)) {
      assert.ok(ALLOWED_ATTRIBUTES.has(a[1].toLowerCase()), `unexpected attribute ${a[1]} in ${m[0]}`);
    }
  }
  assert.ok(!/<script|<img|<iframe|<link|<a\s|@import|url\(/i.test(html), "nothing that runs or fetches");
  assert.ok(html.includes("refs/heads/&lt;script&gt;alert(&quot;ref&quot;)&lt;/script&gt;"));
  assert.ok(html.includes("Mallory &quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
  assert.ok(
    html.includes("&lt;/td&gt;&lt;script&gt;alert(&#39;file&#39;)&lt;/script&gt;\\u{202e}gnp.exe"),
    "bidi override shown",
  );
  assert.ok(html.includes("&lt;iframe srcdoc=x&gt;"));
  assert.match(
    html,
    /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';/,
  );
  assert.match(html, /@media print/);
});

Deno.test("renderReportHtml() shows old → new, the range, warnings, the archive hash and the packages", () => {
  const m = manifest();
  const inherited = { path: "dependencies/nodejs/npm-cache/x", sha256: "1".repeat(64), size: 3 };
  m.dependencies = {
    nodejs: { status: "included", packages: 1, files: [], projects: ["."], inherited: [inherited] },
  };
  const model = buildReportModel(m, {
    review: review(),
    archive: { name: "app.tar.gz", sha256: "9".repeat(64), size: 2048, verified: true },
    signature: { status: "unsigned", file: "app.tar.gz.minisig" },
  });
  assert.deepEqual(model.warnings.map((w) => w.kind), [
    "unsigned",
    "binary_files",
    "new_authors",
    "install_scripts",
    "rewritten_refs",
    "deleted_refs",
  ]);
  const html = renderReportHtml(model);
  assert.ok(html.includes(`<code>${"9".repeat(64)}</code>`), "archive sha256");
  assert.ok(html.includes(`<code>${"a".repeat(12)}..${"b".repeat(12)}</code>`), "old..new range");
  assert.ok(
    html.includes(`<code title="${A}">${A.slice(0, 12)}</code> → <code title="${B}">`),
    "old → new tips",
  );
  assert.ok(html.includes("--not &lt;base&gt;"), "a rewritten ref's range excludes the base");
  assert.match(html, /Unsigned archive: no app\.tar\.gz\.minisig beside it/);
  assert.match(html, /<strong>6 warnings<\/strong>/);
  assert.ok(html.includes(`sha256 ${"1".repeat(64)}</code>`), "package sha256");
  assert.ok(html.includes("base-0001"));
  assert.ok(
    html.includes("inherited: carried by the base chain"),
    "a package the base chain carries is marked",
  );
  assert.match(html, /inherited from the base chain: 1 dependency files, 0 LFS objects/);
});

Deno.test("buildReportModel() for a signed, verified archive without review data warns only about the missing data", () => {
  const m = manifest();
  m.deleted_refs = [];
  const model = buildReportModel(m, {
    review: null,
    archive: { name: "old.tar.gz", sha256: "9".repeat(64), size: 1, verified: true },
    signature: { status: "verified", file: "old.tar.gz.minisig", key_id: "ABCDEF0123456789" },
  });
  assert.deepEqual(model.warnings.map((w) => w.kind), ["no_review_data"]);
  const html = renderReportHtml(model);
  assert.match(html, /verified<\/span> key ABCDEF0123456789/);
  assert.ok(html.includes("refs/heads/&lt;script&gt;"), "refs come from the manifest");
});

Deno.test("buildReportModel() and renderReportHtml() say which files the binary list looked at", async (t) => {
  const cases: [ReviewData["binary_files"]["scope"], string, string][] = [
    [undefined, "added or changed by the new commits", "<th>Commit</th>"],
    ["commits", "added or changed by the new commits", "<th>Commit</th>"],
    ["tips", "at the tips of the carried branches and tags", "<th>Tip commit</th>"],
  ];
  for (const [scope, words, column] of cases) {
    await t.step(`scope ${scope ?? "absent (older archives)"}`, () => {
      const r = review();
      r.binary_files = { ...r.binary_files, scope };
      if (scope === undefined) delete r.binary_files.scope;
      const model = buildReportModel(manifest(), {
        review: reviewSchema.parse(r),
        archive: { name: "app.tar.gz", sha256: "9".repeat(64), size: 1, verified: true },
        signature: { status: "unsigned", file: "app.tar.gz.minisig" },
      });
      const warning = model.warnings.find((w) => w.kind === "binary_files");
      assert.equal(warning?.message, `1 binary file ${words}`);
      const html = renderReportHtml(model);
      assert.ok(html.includes(`Files git treats as binary ${words}`), words);
      assert.ok(html.includes(column), column);
    });
  }
});
