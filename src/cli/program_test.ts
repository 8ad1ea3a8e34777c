import assert from "node:assert/strict";
import type { Command } from "commander";
import { buildProgram } from "./program.ts";

const names = (p: Command) => p.commands.map((c) => c.name());

/** Every command's help text, depth first, keyed by its path. */
function helpTexts(cmd: Command, path = ""): Map<string, string> {
  const out = new Map<string, string>([[path, cmd.helpInformation()]]);
  for (const sub of cmd.commands) {
    for (const [k, v] of helpTexts(sub, `${path} ${sub.name()}`.trim())) out.set(k, v);
  }
  return out;
}

Deno.test("buildProgram() without argv registers every command, version first", async () => {
  assert.deepEqual(names(await buildProgram()), ["version", "archive", "key", "sync", "demo", "storage"]);
});

Deno.test("buildProgram(argv) loads only the command the line runs", async (t) => {
  const cases: Array<[string[], string[]]> = [
    [["version"], ["version"]],
    [["sync", "--dry-run"], ["version", "sync"]],
    [["--config", "x.yml", "sync"], ["version", "sync"]],
    [["-c", "x.yml", "--json", "archive", "create", "."], ["version", "archive"]],
    [["--log-level=debug", "-qc", "x.yml", "key", "generate"], ["version", "key"]],
    [["sync", "--config", "archive"], ["version", "sync"]],
  ];
  for (const [argv, want] of cases) {
    await t.step(argv.join(" "), async () => assert.deepEqual(names(await buildProgram(argv)), want));
  }
});

Deno.test("buildProgram(argv) loads every command for help, unknown or unparsable lines", async (t) => {
  const all = names(await buildProgram());
  for (const argv of [[], ["--help"], ["help", "sync"], ["frobnicate"], ["--config"], ["-V"], ["--bogus"]]) {
    await t.step(
      argv.join(" ") || "(empty)",
      async () => assert.deepEqual(names(await buildProgram(argv)), all),
    );
  }
});

Deno.test("buildProgram(argv) gives each command the same help as the full program", async () => {
  const full = helpTexts(await buildProgram());
  for (const top of names(await buildProgram()).filter((n) => n !== "version")) {
    const lazy = helpTexts(await buildProgram([top]));
    for (const [path, text] of lazy) {
      if (path === "") continue; // the root lists fewer commands by design
      assert.equal(text, full.get(path), `help of "${path}"`);
    }
    assert.ok(lazy.has(top), `"${top}" registered`);
  }
});
