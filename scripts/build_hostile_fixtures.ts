/**
 * Builds the hostile-input corpus in fixtures/hostile/: one `<case>.tar.gz` per attack (from
 * tests/support/hostile_archives.ts and hostile_extra.ts, plus the 2 GiB gzip bomb), `cases.json`
 * (attack, expected exit codes, the clause the one-line message must contain) and README.md.
 *
 *   deno run -A scripts/build_hostile_fixtures.ts [OUT_DIR]     (default fixtures/hostile)
 *
 * The archives embed random sample content, so a rebuild changes their bytes but never their verdicts;
 * tests/archive_hostile_test.ts checks the committed corpus against cases.json.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { hostileCases } from "../tests/support/hostile_archives.ts";
import { gzipBomb2GiB } from "../tests/support/hostile_extra.ts";

const out = resolve(Deno.args[0] ?? join(import.meta.dirname ?? ".", "..", "fixtures", "hostile"));
mkdirSync(out, { recursive: true });
for (const n of readdirSync(out)) if (n.endsWith(".tar.gz")) rmSync(join(out, n));

const { valid, parts, cases } = hostileCases();
writeFileSync(join(out, "valid.tar.gz"), valid);
cases.push(await gzipBomb2GiB(parts, join(out, "gzip-bomb-2gib.tar.gz")));

interface Entry {
  name: string;
  file: string | null;
  attack: string;
  verify: { code: number; message: string };
  restore: { code: number; message: string };
}
const entries: Entry[] = [];
for (const c of cases) {
  const file = c.bytes instanceof Uint8Array ? `${c.name}.tar.gz` : null;
  if (c.bytes instanceof Uint8Array && c.name !== "gzip-bomb-2gib") writeFileSync(join(out, file!), c.bytes);
  entries.push({
    name: c.name,
    file,
    attack: c.attack,
    verify: c.verifies ? { code: 0, message: "" } : { code: c.code, message: c.message.source },
    restore: { code: c.restore?.code ?? c.code, message: (c.restore?.message ?? c.message).source },
  });
}
writeFileSync(join(out, "cases.json"), JSON.stringify(entries, null, 2) + "\n");

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const rows = entries.map((e) =>
  `| \`${e.name}\` | ${cell(e.attack)} | ${
    e.verify.code === 0 ? "0 (passes)" : e.verify.code
  } | ${e.restore.code} | \`${cell(e.restore.message)}\` |`
);
writeFileSync(
  join(out, "README.md"),
  `# Hostile-input corpus

Built by \`deno run -A scripts/build_hostile_fixtures.ts\` from the builders in
\`tests/support/hostile_archives.ts\` and \`tests/support/hostile_extra.ts\`; do not edit by hand.
\`valid.tar.gz\` is the untouched sample every case was derived from (it verifies), so each refusal
is earned. \`cases.json\` holds the same table in machine form.

Every case, with the compiled binary (\`tests/archive_hostile_test.ts\`):

- \`archive verify\` exits with the code below and prints one line naming the cause;
- \`archive restore\` (output directory already holding a file, a \`file://\` target with history) exits
  with the code below, prints one line, removes its staging, writes nothing outside the output
  directory, and leaves the existing target unchanged.

Exit codes: 2 usage (the path cannot be opened), 3 verification failed. "0 (passes)" marks archives
that are internally consistent: verify (which runs no git) accepts them and restore's git checks refuse
them. \`missing-path\` and \`directory-path\` have no file: they name a path that does not exist and a
directory.

| case | attack | verify | restore | message (regular expression) |
|---|---|---|---|---|
${rows.join("\n")}
`,
);
// Keep the generated text in the repository's format (deno fmt --check covers Markdown and JSON).
await new Deno.Command("deno", { args: ["fmt", "--quiet", join(out, "README.md"), join(out, "cases.json")] })
  .output();
console.log(`wrote ${entries.length} cases to ${out}`);
