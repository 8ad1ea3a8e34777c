import assert from "node:assert/strict";
import { parsePorcelain } from "./push.ts";

Deno.test("parsePorcelain() reads git push --porcelain status lines", () => {
  const out = [
    "To http://127.0.0.1:1234/t.git",
    "*\trefs/heads/main:refs/heads/main\t[new branch]",
    "!\trefs/heads/dev:refs/heads/dev\t[remote rejected] (pre-receive hook declined)",
    "=\trefs/tags/v1:refs/tags/v1\t[up to date]",
    " \trefs/heads/feature/ünïcødé:refs/heads/feature/ünïcødé\t1111111..2222222",
    "Done",
  ].join("\n");
  assert.deepEqual(parsePorcelain(out), [
    { flag: "*", ref: "refs/heads/main", summary: "[new branch]" },
    { flag: "!", ref: "refs/heads/dev", summary: "[remote rejected] (pre-receive hook declined)" },
    { flag: "=", ref: "refs/tags/v1", summary: "[up to date]" },
    { flag: " ", ref: "refs/heads/feature/ünïcødé", summary: "1111111..2222222" },
  ]);
});
