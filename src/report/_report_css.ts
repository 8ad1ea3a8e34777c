/** The report's only style sheet, inlined: system fonts, no images, no external anything. */
export const REPORT_CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #59636e; --line: #d1d9e0; --head: #f6f8fa;
  --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --info: #0969da; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; color: var(--fg); background: #fff;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 16px 0 6px; }
.sub { color: var(--muted); margin: 0 0 16px; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
th { background: var(--head); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
table.packages th, table.packages td:nth-child(-n+3), table.packages td:nth-child(5) { white-space: nowrap; }
table.packages td:nth-child(7) { min-width: 24em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 8px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; font-weight: 600;
  border: 1px solid currentColor; white-space: nowrap; }
.badge.ok { color: var(--ok); } .badge.warn { color: var(--warn); } .badge.bad { color: var(--bad); }
.badge.info { color: var(--info); }
.verdict { padding: 10px 14px; border-radius: 6px; margin: 12px 0; border: 1px solid; }
.verdict.ok { border-color: var(--ok); background: #dafbe1; }
.verdict.warn { border-color: var(--warn); background: #fff8c5; }
ul.warnings { padding-left: 0; list-style: none; margin: 8px 0; }
ul.warnings li { padding: 6px 10px; margin: 4px 0; border-left: 4px solid var(--warn); background: #fff8c5; }
ul.warnings li.bad { border-left-color: var(--bad); background: #ffebe9; }
.note { color: var(--muted); font-size: 13px; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line);
  padding-top: 8px; }
@media print {
  @page { margin: 14mm; }
  body { max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; }
  tr, li, dl.facts { break-inside: avoid; }
  thead { display: table-header-group; }
  .verdict, ul.warnings li, th, .badge { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
`;
