/**
 * The transfer review report and SBOM end to end with the compiled binary: `archive create` (with real
 * pip/npm dependencies) writes `<archive>.report.html`; `archive inspect --report html|json` and
 * `--sbom` rebuild them from the archive alone, with no git on PATH; the SBOM validates against the
 * CycloneDX 1.5 schema and lists exactly the packages in `dependencies/`; tampering, signatures and
 * bad flags give the documented exit codes. Run `bash scripts/compile.sh` first.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import type { ReportModel } from "../src/report/report_model.ts";
import { packageUrl } from "../src/report/purl.ts";
import { CANARY, runBinary } from "./support/binary.ts";
import { cycloneDxErrors } from "./support/cyclonedx_validate.ts";
import {
  makeReportArchive,
  NEW_AUTHOR,
  NEW_BINARY,
  ODD_AUTHOR,
  type ReportArchive,
  XSS_BRANCH,
  XSS_FILE,
} from "./support/report_fixture.ts";

let made: Promise<ReportArchive> | undefined;
const world = () => made ??= makeReportArchive("rc-report-", { incremental: true });

/** An archive extracted with plain tar: what the report must agree with. */
function extracted(w: ReportArchive, archive = w.archive): string {
  const dir = join(w.dir, `extracted-${archive === w.archive ? "full" : "incremental"}`);
  if (!existsSync(dir)) {
    mkdirSync(dir);
    execFileSync("tar", ["-xzf", archive, "-C", dir]);
  }
  return dir;
}

/**
 * Every package the dependency manifests of a chain list: [ecosystem, name, version, path, sha256 of the
 * file]. Each file (manifests too) is read from the newest archive that carries it: an incremental
 * leaves out what its base already carries.
 */
function carriedPackages(w: ReportArchive, chain: string[] = [w.archive]): string[][] {
  const dirs = chain.map((a) => extracted(w, a)).reverse();
  const read = (path: string) => {
    const dir = dirs.find((d) => existsSync(join(d, path)));
    assert.ok(dir, `${path} is in the chain`);
    return readFileSync(join(dir, path));
  };
  const out: string[][] = [];
  for (const eco of readdirSync(join(dirs.at(-1)!, "dependencies")).sort()) {
    const m = JSON.parse(read(`dependencies/${eco}/manifest.json`).toString("utf8"));
    for (const p of m.packages) {
      const path = `dependencies/${eco}/${p.filename}`;
      out.push([eco, p.name, p.version, path, createHash("sha256").update(read(path)).digest("hex")]);
    }
  }
  return out;
}

const inspect = (w: ReportArchive, args: string[]) => runBinary(["archive", "inspect", w.archive, ...args]);

function assertNoCanary(where: string, text: string): void {
  assert.ok(!text.includes(CANARY), `token leaked into ${where}`);
}

Deno.test("archive create writes a self-contained report beside the archive; inspect rebuilds it byte for byte", async () => {
  const w = await world();
  const beside = readFileSync(`${w.archive}.report.html`, "utf8");
  const r = await inspect(w, ["--report", "html"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, beside, "same report from the archive alone (no git on PATH)");
  const out = join(w.dir, "again.html");
  const o = await inspect(w, ["--report", "html", "--output", out]);
  assert.equal(o.code, 0, o.stderr);
  assert.equal(readFileSync(out, "utf8"), beside);
  assert.match(o.stdout, /📄 Review report written: .*again\.html/);

  assert.ok(
    beside.includes("refs/heads/&lt;script&gt;alert(1)&lt;/script&gt;"),
    "markup branch shown as text",
  );
  assert.ok(beside.includes("assets/&lt;img src=x onerror=alert(2)&gt;.bin"), "markup file shown as text");
  assert.ok(beside.includes("O&#39;Brien &quot;Ops&quot; &amp; Co"), "author escaped");
  assert.ok(!/<script|<img/i.test(beside), "no live markup from the repository");
  for (const [, name] of carriedPackages(w)) {
    assert.ok(beside.includes(`<code>${name}</code>`), `package ${name}`);
  }
  const sha = createHash("sha256").update(readFileSync(w.archive)).digest("hex");
  assert.ok(beside.includes(`<code>${sha}</code>`), "the archive's own sha256");
  assert.match(w.create.stdout, /Review report: .*\.tar\.gz\.report\.html/);
  for (const [where, text] of [["create", w.create.stdout + w.create.stderr], ["report", beside]]) {
    assertNoCanary(where, text);
  }
});

Deno.test("inspect --report json: refs, authors, binary files, packages with install scripts, warnings", async () => {
  const w = await world();
  const r = await inspect(w, ["--report", "json"]);
  assert.equal(r.code, 0, r.stderr);
  assertNoCanary("report json", r.stdout);
  const m: ReportModel = JSON.parse(r.stdout);
  assert.equal(m.archive.sha256, createHash("sha256").update(readFileSync(w.archive)).digest("hex"));
  assert.equal(m.archive.verified, true);
  assert.deepEqual(m.signature, { status: "unsigned", file: `${m.archive.name}.minisig` });
  const review = m.review!;
  const refs = Object.fromEntries(review.refs.map((x) => [x.name, x]));
  assert.deepEqual(Object.keys(refs).sort(), Object.keys(m.manifest.refs).sort(), "every ref");
  for (const [name, oid] of Object.entries(w.refsAtFull)) assert.equal(refs[name].new, oid, name);
  const xss = refs[`refs/heads/${XSS_BRANCH}`];
  assert.equal(xss.change, "added");
  assert.equal(xss.commits, 2);
  assert.deepEqual(xss.authors.map((a) => a.name).sort(), [ODD_AUTHOR, "Fixture Author"].sort());
  assert.deepEqual(review.binary_files.files.map((f) => f.path), [XSS_FILE]);
  assert.equal(review.history.new_authors, null, "a full archive has no base to compare");

  const packages = review.dependencies.packages.map((
    p,
  ) => [p.ecosystem, p.name, p.version, p.filename, p.sha256]);
  assert.deepEqual(
    packages.sort(),
    carriedPackages(w).sort(),
    "every carried package, hashes of the real files",
  );
  const byName = Object.fromEntries(review.dependencies.packages.map((p) => [p.name, p]));
  assert.equal(byName.hooked.install_script, true, "postinstall from the lockfile's hasInstallScript");
  assert.equal(byName.top.install_script, false);
  assert.equal(byName["gamma-src"].install_script, true, "an sdist runs its build");
  assert.equal(byName.alpha.install_script, false);
  assert.equal(byName.alpha.license, "MIT");
  assert.deepEqual(m.warnings.map((x) => x.kind), ["unsigned", "binary_files", "install_scripts"]);
});

Deno.test("inspect --sbom prints the carried CycloneDX 1.5 SBOM: valid, exactly the packages in dependencies/", async () => {
  const w = await world();
  const r = await inspect(w, ["--sbom"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    readFileSync(join(extracted(w), "sbom.cdx.json"), "utf8"),
    "the carried file, as is",
  );
  const bom = JSON.parse(r.stdout);
  assert.equal(await cycloneDxErrors(r.stdout), null);
  assert.equal(bom.specVersion, "1.5");
  assert.equal(bom.metadata.component.name, "shop");
  assert.equal(
    bom.metadata.component.version,
    w.refsAtFull["refs/heads/main"],
    "HEAD when the archive was made",
  );
  const components = bom.components.map((c: Record<string, unknown>) => {
    const props = Object.fromEntries(
      (c.properties as { name: string; value: string }[]).map((p) => [p.name, p.value]),
    );
    return [c.purl, props["repo-cloner:archive_path"], (c.hashes as { content: string }[])[0].content];
  });
  const expected = carriedPackages(w).map(([eco, name, version, path, sha]) => [
    packageUrl(eco, name, version),
    path,
    sha,
  ]);
  assert.ok(expected.length >= 7, `python and npm packages expected, got ${expected.length}`);
  assert.deepEqual(components.sort(), expected.sort());
  const listed = JSON.parse(readFileSync(join(extracted(w), "manifest.json"), "utf8")).files.map((
    f: { path: string },
  ) => f.path);
  assert.ok(listed.includes("sbom.cdx.json") && listed.includes("review.json"), "both are manifest entries");
});

Deno.test("inspect --report: a tampered review.json is exit 3; a signature is reported, checked with --trusted-key", async () => {
  const w = await world();
  // Same length, different bytes: only the entry hash can tell.
  const tar = gunzipSync(readFileSync(w.archive));
  const at = tar.indexOf(Buffer.from('"format_version": 1,\n  "created_at"'));
  assert.ok(at > 0);
  tar.set(Buffer.from('"format_version": 1,\n  "created_aT"'), at);
  const bad = join(w.dir, "tampered.tar.gz");
  writeFileSync(bad, gzipSync(tar));
  const t = await runBinary(["archive", "inspect", bad, "--report", "html"]);
  assert.equal(t.code, 3, t.stdout + t.stderr);
  assert.match(t.stderr, /Cannot inspect archive "tampered\.tar\.gz": entry "review\.json" sha256 mismatch/);
  assert.equal(t.stdout, "", "no report for an archive that does not verify");

  const keys = join(w.dir, "keys");
  mkdirSync(keys);
  for (const k of ["a", "b"]) {
    execFileSync("minisign", ["-G", "-W", "-p", join(keys, `${k}.pub`), "-s", join(keys, `${k}.key`)]);
  }
  const signed = join(w.dir, "signed.tar.gz");
  copyFileSync(w.archive, signed);
  execFileSync("minisign", ["-S", "-s", join(keys, "a.key"), "-m", signed]);
  const u = await runBinary(["archive", "inspect", signed, "--report", "json"]);
  assert.equal(u.code, 0, u.stderr);
  const unverified: ReportModel = JSON.parse(u.stdout);
  assert.equal(unverified.signature.status, "unverified");
  assert.deepEqual(unverified.warnings.map((x) => x.kind).slice(0, 1), ["signature_unverified"]);
  const v = await runBinary([
    "archive",
    "inspect",
    signed,
    "--report",
    "json",
    "--trusted-key",
    join(keys, "a.pub"),
  ]);
  assert.equal(v.code, 0, v.stderr);
  const verified: ReportModel = JSON.parse(v.stdout);
  assert.equal(verified.signature.status, "verified");
  assert.match(verified.signature.key_id ?? "", /^[0-9A-F]{1,16}$/);
  assert.ok(!verified.warnings.some((x) => x.kind === "unsigned" || x.kind === "signature_unverified"));
  const x = await runBinary([
    "archive",
    "inspect",
    signed,
    "--report",
    "html",
    "--trusted-key",
    join(keys, "b.pub"),
  ]);
  assert.equal(x.code, 3, x.stdout + x.stderr);
  assert.match(x.stderr, /key id/);
  assert.equal(x.stdout, "");
});

Deno.test("inspect report flags: conflicting or incomplete options are usage errors (exit 2)", async (t) => {
  const w = await world();
  const cases: Array<[string[], RegExp]> = [
    [["--report", "html", "--sbom"], /--report and --sbom/],
    [["--output", join(w.dir, "x.html")], /Cannot use --output without --report or --sbom/],
    [["--report", "pdf"], /pdf/],
    [["--report", "html", "--json"], /Cannot print an HTML report with --json/],
  ];
  for (const [args, message] of cases) {
    await t.step(args.join(" "), async () => {
      const r = await inspect(w, args);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, message);
    });
  }
  const missing = await runBinary(["archive", "inspect", join(w.dir, "nope.tar.gz"), "--report", "html"]);
  assert.equal(missing.code, 2, missing.stderr);
});

Deno.test("an incremental's report and SBOM: old → new per ref, new author, the chain's exact package set", async () => {
  const w = await world();
  const inc = w.incremental!.archive;
  const r = await runBinary(["archive", "inspect", inc, "--report", "json"]);
  assert.equal(r.code, 0, r.stderr);
  const m: ReportModel = JSON.parse(r.stdout);
  assert.equal(
    readFileSync(`${inc}.report.html`, "utf8"),
    (await runBinary(["archive", "inspect", inc, "--report", "html"])).stdout,
  );
  const review = m.review!;
  const base = JSON.parse(readFileSync(join(extracted(w), "manifest.json"), "utf8"));
  assert.equal(review.base?.archive_id, base.archive_id);
  const refs = Object.fromEntries(review.refs.map((x) => [x.name, x]));
  assert.deepEqual(
    Object.entries(refs).map(([n, x]) => [n, x.change]).sort(),
    [
      ["refs/heads/main", "updated"],
      [`refs/heads/${XSS_BRANCH}`, "rewritten"],
      ["refs/heads/release/2.0", "added"],
      ["refs/tags/v1.0.0", "deleted"],
    ].sort(),
  );
  assert.equal(refs["refs/heads/main"].old, base.refs["refs/heads/main"]);
  assert.equal(refs["refs/heads/main"].new, m.manifest.refs["refs/heads/main"]);
  assert.equal(refs["refs/heads/main"].commits, 1);
  assert.deepEqual(review.history.new_authors, [{ ...NEW_AUTHOR, commits: 1 }]);
  assert.ok(review.binary_files.files.some((f) => f.path === NEW_BINARY));
  assert.deepEqual(m.manifest.deleted_refs, ["refs/tags/v1.0.0"]);
  assert.ok(
    m.warnings.some((x) => x.kind === "new_authors") && m.warnings.some((x) => x.kind === "rewritten_refs"),
  );
  assert.ok(
    m.manifest.inherited_dependency_files.length > 0,
    "unchanged dependency files come from the base",
  );

  const chain = [w.archive, inc];
  const expected = carriedPackages(w, chain);
  assert.ok(expected.some(([, name]) => name === "delta"), "the package added since the base");
  assert.deepEqual(
    review.dependencies.packages.map((p) => [p.ecosystem, p.name, p.version, p.filename, p.sha256]).sort(),
    expected.sort(),
  );
  const sbom = await runBinary(["archive", "inspect", inc, "--sbom"]);
  assert.equal(sbom.code, 0, sbom.stderr);
  assert.equal(await cycloneDxErrors(sbom.stdout), null);
  const components = JSON.parse(sbom.stdout).components.map((
    c: { purl: string; hashes: { content: string }[] },
  ) => [
    c.purl,
    c.hashes[0].content,
  ]);
  assert.deepEqual(
    components.sort(),
    expected.map(([eco, n, v, , sha]) => [packageUrl(eco, n, v), sha]).sort(),
  );
});
