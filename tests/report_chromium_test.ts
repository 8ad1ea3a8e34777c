/**
 * The HTML review report in real headless Chromium (Debian `chromium`, DevTools protocol): the report of
 * an INCREMENTAL archive with Python and npm dependencies (refs updated, rewritten, added and deleted;
 * a new author; markup in ref, file and author names) and of its full base render with no console
 * error, no exception, no CSP or load error, and no network request besides the file itself; every ref
 * and package shows; the page prints. Screenshots and PDFs are kept in tests/artifacts/.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ReportModel } from "../src/report/report_model.ts";
import { runBinary } from "./support/binary.ts";
import { type Chromium, startChromium } from "./support/chromium.ts";
import { makeReportArchive, NEW_AUTHOR, XSS_BRANCH } from "./support/report_fixture.ts";

const ARTIFACTS = resolve(import.meta.dirname ?? ".", "artifacts");

/** Renders `<archive>.report.html`, checks the page, saves screenshot and PDF; returns the page text. */
async function render(
  chromium: Chromium,
  archive: string,
  artifact: string,
): Promise<{ text: string; model: ReportModel }> {
  const json = await runBinary(["archive", "inspect", archive, "--report", "json"]);
  assert.equal(json.code, 0, json.stderr);
  const model: ReportModel = JSON.parse(json.stdout);
  const report = `${archive}.report.html`;
  const url = pathToFileURL(report).href;
  const page = await chromium.open(url, { width: 1280 });
  assert.deepEqual(page.record.requests, [url], "only the report file itself is loaded");
  assert.deepEqual(page.record.console, [], "no console messages");
  assert.deepEqual(page.record.exceptions, [], "no exceptions");
  assert.deepEqual(page.record.log.filter((l) => l.level === "error" || l.level === "warning"), []);
  assert.equal(await page.evaluate<number>("document.scripts.length"), 0);
  assert.equal(
    await page.evaluate<number>("document.querySelectorAll('img,iframe,link,object,embed').length"),
    0,
  );
  assert.equal(await page.evaluate<string>("document.title"), "Transfer review: shop");
  const text = await page.evaluate<string>("document.body.innerText");
  const refNames = model.review!.refs.map((r) => r.name);
  for (const ref of new Set([...refNames, ...Object.keys(model.manifest.refs)])) {
    assert.ok(text.includes(ref), `ref ${ref} is shown`);
  }
  const packages = model.review!.dependencies.packages;
  assert.ok(packages.some((p) => p.ecosystem === "python") && packages.some((p) => p.ecosystem === "nodejs"));
  for (const p of packages) {
    assert.ok(text.includes(p.name) && text.includes(p.sha256), `package ${p.name} is shown with its sha256`);
  }
  assert.ok(text.includes(model.archive.sha256), "archive sha256 shown");
  // The markup branch is text, not an element: its cell reads back exactly as the ref name.
  const cells = await page.evaluate<string[]>(
    "[...document.querySelectorAll('#refs td:first-child')].map(c => c.textContent)",
  );
  assert.ok(cells.includes(`refs/heads/${XSS_BRANCH}`), cells.join("\n"));
  mkdirSync(ARTIFACTS, { recursive: true });
  const png = await page.screenshot();
  assert.deepEqual([...png.slice(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "a PNG");
  writeFileSync(join(ARTIFACTS, `${artifact}.png`), png);
  const pdf = await page.pdf();
  assert.equal(new TextDecoder().decode(pdf.slice(0, 5)), "%PDF-");
  writeFileSync(join(ARTIFACTS, `${artifact}.pdf`), pdf);
  assert.deepEqual(page.record.requests, [url], "still no request after screenshot and print");
  assert.equal(readFileSync(report, "utf8").includes("<script"), false);
  return { text, model };
}

Deno.test("chromium renders an incremental archive's report offline: old → new refs, new author, every package", async () => {
  const w = await makeReportArchive("rc-report-chromium-", { incremental: true });
  const chromium = await startChromium();
  try {
    const { text, model } = await render(
      chromium,
      w.incremental!.archive,
      "report-incremental-with-dependencies",
    );
    assert.equal(model.manifest.type, "incremental");
    const changes = Object.fromEntries(model.review!.refs.map((r) => [r.name, r]));
    assert.equal(changes["refs/heads/main"].change, "updated");
    assert.equal(changes[`refs/heads/${XSS_BRANCH}`].change, "rewritten");
    assert.equal(changes["refs/heads/release/2.0"].change, "added");
    assert.equal(changes["refs/tags/v1.0.0"].change, "deleted");
    const main = changes["refs/heads/main"];
    assert.ok(text.includes(`${main.old!.slice(0, 12)}..${main.new!.slice(0, 12)}`), "main's old..new range");
    assert.ok(
      text.includes(`${main.old!.slice(0, 12)} → ${main.new!.slice(0, 12)}`),
      "main's old → new tips",
    );
    assert.ok(text.includes(`${NEW_AUTHOR.name}`) && /1 author with no commit in the base/.test(text));
    assert.match(text, /inherited: carried by the base chain/);
    assert.ok(model.review!.dependencies.packages.some((p) => p.name === "delta"), "the new Python package");

    await render(chromium, w.archive, "report-full-with-dependencies");
  } finally {
    await chromium.close();
  }
});

Deno.test("the chromium harness itself sees requests, console errors and exceptions (so the test above can fail)", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "rc-chromium-probe-" });
  const page = join(dir, "probe.html");
  writeFileSync(
    page,
    `<!DOCTYPE html><title>probe</title><img src="http://127.0.0.1:9/x.png"><script>console.error("boom"); throw new Error("bad")</script>`,
  );
  const chromium = await startChromium();
  try {
    const p = await chromium.open(pathToFileURL(page).href);
    assert.deepEqual(p.record.requests, [pathToFileURL(page).href, "http://127.0.0.1:9/x.png"]);
    assert.deepEqual(p.record.console, [{ type: "error", text: "boom" }]);
    assert.equal(p.record.exceptions.length, 1);
  } finally {
    await chromium.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
