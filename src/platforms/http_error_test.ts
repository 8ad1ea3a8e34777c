import assert from "node:assert/strict";
import { classifyHttpError, retryAfterMs } from "./http_error.ts";
import { AuthError, TransientError } from "../errors.ts";

const site = {
  role: "target",
  forge: "GitHub",
  host: "ghe.example",
  tokenOrigin: "GITHUB_TOKEN",
  scope: `"repo"`,
  action: "create repository",
};
const octokitError = (status: number, message: string, headers: Record<string, string> = {}) =>
  Object.assign(new Error(message), { status, response: { headers } });

Deno.test("classifyHttpError() maps status codes to retry or fail-fast", async (t) => {
  await t.step("401 is an AuthError naming role, host, token origin and scope", () => {
    const e = classifyHttpError(octokitError(401, "Bad credentials"), site);
    assert.ok(e instanceof AuthError);
    assert.match(e.message, /target token for GitHub at ghe\.example \(GITHUB_TOKEN\).*"repo" scope/);
  });
  await t.step("403 without rate-limit signs is an AuthError", () => {
    assert.ok(classifyHttpError(octokitError(403, "Resource not accessible"), site) instanceof AuthError);
  });
  await t.step("secondary rate limit 403 is transient and honours Retry-After", () => {
    const e = classifyHttpError(
      octokitError(403, "You have exceeded a secondary rate limit", { "retry-after": "7" }),
      site,
    );
    assert.ok(e instanceof TransientError);
    assert.equal(e.retryAfterMs, 7000);
  });
  await t.step("primary rate limit (remaining 0) waits until x-ratelimit-reset", () => {
    const reset = String(Math.floor(Date.now() / 1000) + 30);
    const e = classifyHttpError(
      octokitError(403, "API rate limit exceeded", {
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": reset,
      }),
      site,
    ) as TransientError;
    assert.ok(e instanceof TransientError);
    assert.ok(e.retryAfterMs! > 25_000 && e.retryAfterMs! <= 30_000);
  });
  await t.step("429, 502 and connection faults are transient", () => {
    assert.ok(classifyHttpError(octokitError(429, "slow down"), site) instanceof TransientError);
    assert.ok(classifyHttpError(octokitError(502, "Bad Gateway"), site) instanceof TransientError);
    assert.ok(classifyHttpError(new TypeError("fetch failed"), site) instanceof TransientError);
  });
  await t.step("422 is neither", () => {
    const e = classifyHttpError(octokitError(422, "Validation Failed"), site);
    assert.ok(!(e instanceof TransientError) && !(e instanceof AuthError));
  });
});

Deno.test("retryAfterMs() reads seconds and HTTP dates", () => {
  assert.equal(retryAfterMs({ "retry-after": "2" }), 2000);
  const now = Date.parse("2025-01-01T00:00:00Z");
  assert.equal(retryAfterMs({ "retry-after": "Wed, 01 Jan 2025 00:00:10 GMT" }, now), 10_000);
  assert.equal(retryAfterMs({}), undefined);
});
