import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tests/support/binary.ts";
import { UsageError } from "../errors.ts";
import { repositoryName, resolveSource, resolveTarget } from "./source.ts";

Deno.test("resolveSource() accepts URLs and local paths and names the repository", async (t) => {
  const dir = tempDir();
  mkdirSync(join(dir, "my-repo.git"));
  const cases: Array<[string, { gitUrl: string; local: boolean; name: string }]> = [
    ["https://gitlab.com/myorg/backend-api", {
      gitUrl: "https://gitlab.com/myorg/backend-api",
      local: false,
      name: "backend-api",
    }],
    ["https://github.com/o/r.git", { gitUrl: "https://github.com/o/r.git", local: false, name: "r" }],
    ["ssh://git@host:2222/o/tools.git", {
      gitUrl: "ssh://git@host:2222/o/tools.git",
      local: false,
      name: "tools",
    }],
    ["git@github.com:org/scp-style.git", {
      gitUrl: "git@github.com:org/scp-style.git",
      local: false,
      name: "scp-style",
    }],
    [join(dir, "my-repo.git"), { gitUrl: join(dir, "my-repo.git"), local: true, name: "my-repo" }],
    [`file://${join(dir, "my-repo.git")}`, {
      gitUrl: join(dir, "my-repo.git"),
      local: true,
      name: "my-repo",
    }],
  ];
  for (const [input, want] of cases) {
    await t.step(input, () => {
      const r = resolveSource(input);
      assert.equal(r.gitUrl, want.gitUrl);
      assert.equal(r.recordedUrl, want.gitUrl);
      assert.equal(r.local, want.local);
      assert.equal(r.name, want.name);
    });
  }
});

Deno.test("resolveSource() refuses credentials, options, transports and missing paths", async (t) => {
  const cases: Array<[string, RegExp]> = [
    ["https://user:s3cr3t-token@gitlab.com/o/r.git", /contains credentials/],
    ["https://oauth2@gitlab.com/o/r.git", /contains credentials/],
    ["--upload-pack=touch /tmp/x", /starts with "-"/],
    ["ext::sh -c touch% /tmp/pwned", /transport helpers/],
    ["ftp://host/r.git", /scheme "ftp:" is not supported/],
    ["/nonexistent/path/for/sure", /neither a URL nor an existing directory/],
    ["", /no source repository given/],
  ];
  for (const [input, message] of cases) {
    await t.step(input || "(empty)", () => {
      assert.throws(() => resolveSource(input), (e) => e instanceof UsageError && message.test(e.message));
    });
  }
  await t.step("the credential never appears in the message", () => {
    assert.throws(
      () => resolveSource("https://user:s3cr3t-token@gitlab.com/o/r.git"),
      (e) => e instanceof Error && !e.message.includes("s3cr3t-token"),
    );
  });
});

Deno.test("resolveTarget() applies the same rules and names TARGET_TOKEN", () => {
  assert.throws(
    () => resolveTarget("https://x:tok-abcdef@git.internal/a.git"),
    (e) => e instanceof UsageError && /Cannot use target/.test(e.message) && /TARGET_TOKEN/.test(e.message),
  );
  assert.equal(
    resolveTarget("https://git.internal/backend/api").displayUrl,
    "https://git.internal/backend/api",
  );
});

Deno.test("repositoryName() makes a file-name-safe name", () => {
  assert.equal(repositoryName("https://h/g/sub/Tëst Repo.git"), "T-st-Repo");
  assert.equal(repositoryName("/srv/repos/project/.git"), "project");
  assert.equal(repositoryName("https://h/.hidden"), "hidden");
});
