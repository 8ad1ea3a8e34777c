import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import {
  assertDistinctLocations,
  assertSafeLocation,
  locationProblem,
  normalizeLocation,
  refNameProblem,
  sameLocation,
} from "./safe_location.ts";

Deno.test("locationProblem() refuses option-like, transport-helper and smuggled-ssh-option locations", async (t) => {
  const bad: Array<[string, RegExp]> = [
    ["--upload-pack=touch /tmp/pwned", /starts with "-"/],
    ["-oProxyCommand=touch /tmp/pwned", /starts with "-"/],
    ["ext::sh -c touch% /tmp/pwned", /transport helpers \("ext::"\)/],
    ["fd::0", /transport helpers \("fd::"\)/],
    ["file::/tmp/x", /transport helpers \("file::"\)/],
    ["ssh://-oProxyCommand=touch%20/tmp/pwned/x.git", /host starts with "-"/],
    ["ssh://-oProxyCommand=sh/x", /host starts with "-"/],
    ["ssh://-o@host/x.git", /user name starts with "-"/],
    ["git@-oProxyCommand=x:repo.git", /host or user starts with "-"/],
    ["-user@host:repo.git", /starts with "-"/],
    ["host:-repo.git", /path starts with "-"/],
    ["https://example.com/-upload-pack.git", /path starts with "-"/],
    ["ftp://example.com/x.git", /scheme "ftp:" is not supported/],
    ["https://example.com/a\nb", /control characters/],
    ["", /empty/],
  ];
  for (const [loc, why] of bad) {
    await t.step(JSON.stringify(loc), () => assert.match(locationProblem(loc) ?? "accepted", why));
  }
  for (
    const ok of [
      "https://gitlab.com/o/r.git",
      "ssh://git@host:2222/o/r.git",
      "git@github.com:o/r.git",
      "/srv/r.git",
      "./r",
      "file:///srv/r.git",
    ]
  ) {
    await t.step(`accepts ${ok}`, () => assert.equal(locationProblem(ok), undefined));
  }
});

Deno.test("assertSafeLocation() throws a usage error (exit 2) and masks credentials", () => {
  assert.throws(
    () => assertSafeLocation("ssh://user:s3cret@-oProxyCommand=x/r", "target"),
    (e) =>
      e instanceof UsageError && e.exitCode === 2 && !e.message.includes("s3cret") &&
      /target/.test(e.message),
  );
});

Deno.test("refNameProblem() accepts branches and tags and refuses option-like or odd refs", async (t) => {
  for (const ok of ["refs/heads/main", "refs/heads/feature/ünïcødé", "refs/tags/v1.0.0"]) {
    await t.step(ok, () => assert.equal(refNameProblem(ok), undefined));
  }
  const bad: Array<[string, RegExp]> = [
    ["refs/heads/-oops", /starts with "-"/],
    ["refs/tags/--upload-pack=x", /starts with "-"/],
    ["-refs/heads/x", /not under refs\/heads/],
    ["refs/pull/1/head", /not under refs\/heads/],
    ["refs/heads/a..b", /\.\./],
    ["refs/heads/.hidden", /starts or ends with "\."/],
    ["refs/heads/x.lock", /\.lock/],
    ["refs/heads/a b", /space/],
    ["refs/heads/a\u0001", /control/],
  ];
  for (const [ref, why] of bad) {
    await t.step(JSON.stringify(ref), () => assert.match(refNameProblem(ref) ?? "accepted", why));
  }
});

Deno.test("sameLocation() sees through case, default ports, .git, trailing slashes, http/https and scp form", async (t) => {
  const same: Array<[string, string]> = [
    ["https://GitHub.com/Org/Repo.git", "https://github.com/Org/Repo"],
    ["https://github.com:443/o/r.git/", "https://github.com/o/r"],
    ["http://git.internal/o/r.git", "https://git.internal/o/r"],
    ["git@github.com:o/r.git", "ssh://git@github.com/o/r"],
    ["https://user@github.com/o/r.git", "https://github.com/o/r.git"],
    ["file:///srv/git/r.git", "/srv/git/r"],
  ];
  for (const [a, b] of same) {
    await t.step(`${a} == ${b}`, () => assert.ok(sameLocation(a, b), normalizeLocation(a)));
  }
  const different: Array<[string, string]> = [
    ["https://github.com/o/r", "https://github.com/o/r2"],
    ["https://github.com/o/r", "https://gitlab.com/o/r"],
    ["https://github.com:8443/o/r", "https://github.com/o/r"],
    ["https://github.com/O/r", "https://github.com/o/r"],
  ];
  for (const [a, b] of different) await t.step(`${a} != ${b}`, () => assert.ok(!sameLocation(a, b)));
  assert.throws(
    () => assertDistinctLocations("https://gitlab.com/g/r.git", "https://GITLAB.com/g/r", "restore"),
    (e) =>
      e instanceof UsageError &&
      /Cannot restore: the source and the target are the same repository/.test(e.message),
  );
});
