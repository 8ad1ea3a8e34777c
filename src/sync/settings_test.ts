import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultMaxParallel, isForgeTarget, resolveSyncSettings } from "./settings.ts";
import { loadConfigFile } from "../config/load.ts";
import { UsageError } from "../errors.ts";

const ENV = {
  GITLAB_URL: "https://gitlab.example.com",
  GITLAB_TOKEN: "glpat-aaaaaaaa",
  GITLAB_GROUP: "backend",
  GITHUB_ORG: "myorg",
  GITHUB_TOKEN: "ghp-bbbbbbbb",
  HOME: "/home/u",
};

Deno.test("resolveSyncSettings() builds the spec's GitLab → GitHub sync from the environment alone", () => {
  const s = resolveSyncSettings({}, { env: ENV });
  assert.deepEqual(s.sources.map((x) => [x.type, x.url, x.namespaces, x.tokenOrigin]), [
    ["gitlab", "https://gitlab.example.com", ["backend"], "GITLAB_TOKEN"],
  ]);
  assert.deepEqual(
    s.targets.filter(isForgeTarget).map((x) => [x.type, x.url, x.namespace, x.tokenOrigin, x.visibility]),
    [
      ["github", "https://github.com", "myorg", "GITHUB_TOKEN", "private"],
    ],
  );
  assert.equal(s.cacheDir, "/home/u/.cache/repo-cloner");
  assert.equal(resolveSyncSettings({}, { env: { ...ENV, XDG_CACHE_HOME: "/c" } }).cacheDir, "/c/repo-cloner");
  assert.equal(s.maxRetries, 3);
  assert.equal(s.timeoutMs, 600_000);
  assert.equal(s.maxParallel, defaultMaxParallel());
});

Deno.test("resolveSyncSettings() names every missing variable", () => {
  assert.throws(
    () => resolveSyncSettings({}, { env: { GITLAB_GROUP: "backend" } }),
    /GITLAB_TOKEN, GITHUB_ORG, GITHUB_TOKEN are not set/,
  );
  assert.throws(() => resolveSyncSettings({}, { env: {} }), /no sources or targets configured/);
});

Deno.test("resolveSyncSettings() refuses hostile names and URLs before any network use", async (t) => {
  const base = () => ({
    sources: [{
      type: "gitlab" as const,
      url: "https://gitlab.com",
      token: "t-123456",
      groups: ["backend"],
      include_archived: false,
    }],
    targets: [{ type: "github" as const, organization: "myorg", token: "t-654321" }],
  });
  const cases: Array<[string, (c: ReturnType<typeof base>) => void, RegExp]> = [
    ["ext:: URL", (c) => c.sources[0].url = "ext::sh -c touch% /tmp/pwned", /only http/],
    ["URL with credentials", (c) => c.sources[0].url = "https://user:pw@gitlab.com", /carries credentials/],
    ["group starting with -", (c) => c.sources[0].groups = ["--upload-pack=evil"], /not a valid group/],
    ["org with ..", (c) => c.targets[0].organization = "..", /not a valid group/],
    ["GitHub org with /", (c) => c.targets[0].organization = "a/b", /has no "\/"/],
    ["source == target", (c) => {
      c.targets = [{ type: "gitlab" as never, namespace: "backend", token: "t-654321" } as never];
    }, /onto itself/],
    ["bad shard", () => {}, /--shard/],
  ];
  for (const [name, mutate, want] of cases) {
    await t.step(name, () => {
      const c = base();
      mutate(c);
      const flags = name === "bad shard" ? { shard: "4/3" } : {};
      assert.throws(() => resolveSyncSettings(c, { env: {}, flags }), (e: Error) => {
        assert.ok(e instanceof UsageError, String(e));
        assert.match(e.message, want);
        return true;
      });
    });
  }
});

Deno.test("a sync config file with a misspelt key fails naming the key, file and line", () => {
  const dir = mkdtempSync(join(tmpdir(), "rc-syncset-"));
  const file = join(dir, "sync.yml");
  writeFileSync(
    file,
    "sources:\n  - type: gitlab\n    token: x-123456\n    groups: [backend]\nconcurrency:\n  max_paralel: 4\n",
  );
  assert.throws(() => loadConfigFile(file, {}), (e: Error) => {
    assert.match(e.message, new RegExp(`"${file}" line 6: unknown key "concurrency.max_paralel"`));
    return true;
  });
  writeFileSync(file, "sources:\n  - type: gitlab\n    groups: backend\n");
  assert.throws(() => loadConfigFile(file, {}), /line 3: key "sources\.0\.groups"/);
});

Deno.test("defaultMaxParallel() is four per CPU, at least 4 and at most 16", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 8, 64].map((n) => defaultMaxParallel(n)), [4, 4, 8, 12, 16, 16, 16]);
  const c = resolveSyncSettings({ concurrency: { max_parallel: 3 } }, { env: ENV });
  assert.equal(c.maxParallel, 3, "the config wins");
});
