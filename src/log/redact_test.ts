import assert from "node:assert/strict";
import { Redactor } from "./redact.ts";

Deno.test("Redactor.redact() removes secrets, URL userinfo and auth headers", async (t) => {
  const r = new Redactor();
  r.add("glpat-SECRET123");
  const cases: Array<[string, string]> = [
    ["token glpat-SECRET123 here", "token *** here"],
    ["https://user:pw@host/x.git", "https://***@host/x.git"],
    ["https://oauth2:glpat-SECRET123@gitlab/x", "https://***@gitlab/x"],
    ["Authorization: Bearer abcdef", "Authorization: Bearer ***"],
    ["PRIVATE-TOKEN: zzzzzz", "PRIVATE-TOKEN: ***"],
    [`enc ${encodeURIComponent("glpat-SECRET123")}`, "enc ***"],
  ];
  for (const [input, want] of cases) {
    await t.step(input, () => assert.equal(r.redact(input), want));
  }
});

Deno.test("Redactor.redactValue() redacts nested strings", () => {
  const r = new Redactor();
  r.add("s3cr3t-value");
  assert.deepEqual(r.redactValue({ a: ["x s3cr3t-value"], b: { c: "s3cr3t-value" }, n: 1 }), {
    a: ["x ***"],
    b: { c: "***" },
    n: 1,
  });
});
