import assert from "node:assert/strict";
import { UsageError, VerificationError } from "../errors.ts";
import {
  decideSignaturePolicy,
  parseSignaturePolicy,
  signatureDecision,
  type SignaturePolicy,
} from "./signature_policy.ts";

Deno.test("decideSignaturePolicy() defaults to always with a trusted key, if-present without", async (t) => {
  const cases: Array<[SignaturePolicy | undefined, boolean, SignaturePolicy | typeof UsageError]> = [
    [undefined, true, "always"],
    [undefined, false, "if-present"],
    ["if-present", true, "if-present"],
    ["never", true, "never"],
    ["never", false, "never"],
    ["always", true, "always"],
    ["always", false, UsageError],
  ];
  for (const [configured, trustedKeyConfigured, want] of cases) {
    await t.step(`${configured ?? "(unset)"} with${trustedKeyConfigured ? "" : "out"} key`, () => {
      if (typeof want === "string") {
        assert.equal(decideSignaturePolicy({ configured, trustedKeyConfigured }), want);
      } else {
        assert.throws(() => decideSignaturePolicy({ configured, trustedKeyConfigured }), want);
      }
    });
  }
});

Deno.test("signatureDecision() says what a missing or present signature means", async (t) => {
  const archive = "/a/x.tar.gz";
  const cases: Array<[SignaturePolicy, boolean, boolean, boolean | "throws", RegExp?]> = [
    ["always", true, true, true],
    ["always", false, true, "throws"],
    ["if-present", true, true, true],
    ["if-present", false, true, false, /not signed/],
    ["if-present", true, false, false, /no trusted key/],
    ["if-present", false, false, false, /not signed/],
    ["never", true, true, false],
    ["never", false, false, false],
  ];
  for (const [policy, signaturePresent, trustedKeyConfigured, want, note] of cases) {
    await t.step(
      `${policy}, signature ${signaturePresent ? "present" : "missing"}, key ${trustedKeyConfigured}`,
      () => {
        const run = () => signatureDecision(policy, { archive, signaturePresent, trustedKeyConfigured });
        if (want === "throws") {
          assert.throws(
            run,
            (e: unknown) =>
              e instanceof VerificationError && /x\.tar\.gz\.minisig" is missing/.test(e.message),
          );
          return;
        }
        const d = run();
        assert.equal(d.verify, want);
        if (note) {
          assert.match(d.note ?? "", note);
        } else assert.equal(d.note, undefined);
      },
    );
  }
});

Deno.test("parseSignaturePolicy() accepts the three names only", () => {
  for (const p of ["always", "if-present", "never"]) assert.equal(parseSignaturePolicy(p), p);
  for (const p of ["Always", "", "yes", true, undefined]) {
    assert.throws(() => parseSignaturePolicy(p), UsageError);
  }
});
