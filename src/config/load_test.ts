import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfigFile, substituteEnv } from "./load.ts";
import { UsageError } from "../errors.ts";

function write(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), "rc-cfg-")), "c.yml");
  writeFileSync(p, text);
  return p;
}

Deno.test("substituteEnv() replaces ${VAR} and ${VAR:-default}, refuses unset", () => {
  assert.equal(substituteEnv("a ${X} ${Y:-dflt}", { X: "1" }, "f"), "a 1 dflt");
  assert.throws(() => substituteEnv("${NOPE}", {}, "f"), /NOPE is not set/);
});

Deno.test("loadConfigFile() reads the spec's keys", () => {
  const p = write(
    `logging:\n  level: INFO\n  format: json\nsources:\n  - type: gitlab\n    url: https://gitlab.com\n    token: \${GL}\n    groups: [backend]\n`,
  );
  const c = loadConfigFile(p, { GL: "tok-abcdef" });
  assert.equal(c.sources?.[0].token, "tok-abcdef");
  assert.deepEqual(c.sources?.[0].groups, ["backend"]);
});

Deno.test("loadConfigFile() names the unknown key, the file and the line", () => {
  const p = write(`logging:\n  level: INFO\n  colour: red\n`);
  assert.throws(() => loadConfigFile(p, {}), (e: Error) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /unknown key "logging.colour"/);
    assert.match(e.message, /line 3/);
    assert.ok(e.message.includes(p));
    return true;
  });
});

Deno.test("loadConfigFile() names a wrong type with its line", () => {
  const p = write(`concurrency:\n  max_parallel: lots\n`);
  assert.throws(() => loadConfigFile(p, {}), /key "concurrency.max_parallel".*|line 2/);
});
