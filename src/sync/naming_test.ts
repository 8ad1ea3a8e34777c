import assert from "node:assert/strict";
import { assignTargetNames, flatName } from "./naming.ts";
import { UsageError } from "../errors.ts";

Deno.test("flatName() joins the path below the group with '-'", () => {
  assert.equal(flatName("auth-service"), "auth-service");
  assert.equal(flatName("payments/api"), "payments-api");
  assert.equal(flatName("payments/eu/ledger"), "payments-eu-ledger");
  assert.equal(flatName("odd name+x"), "odd-name-x");
});

Deno.test("assignTargetNames() refuses two sources with one name, naming both", () => {
  const repos = [
    { fullPath: "backend/payments/api", relativePath: "payments/api" },
    { fullPath: "backend/Payments-api", relativePath: "Payments-api" },
  ];
  assert.throws(() => assignTargetNames(repos), (e: Error) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /"backend\/payments\/api" and "backend\/Payments-api"/);
    assert.match(e.message, /"Payments-api"/);
    return true;
  });
  const names = assignTargetNames(
    repos,
    (r) => r.fullPath === "backend/Payments-api" ? "payments-api-2" : undefined,
  );
  assert.deepEqual([...names.values()], ["payments-api", "payments-api-2"]);
});

Deno.test("assignTargetNames() refuses names a forge or git would misread", () => {
  for (const bad of ["-rf", ".hidden", "a..b", "x.git"]) {
    assert.throws(() => assignTargetNames([{ fullPath: `g/${bad}`, relativePath: bad }]), UsageError, bad);
  }
});
