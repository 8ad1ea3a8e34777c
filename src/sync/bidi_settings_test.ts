import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfigFile } from "../config/load.ts";
import { UsageError } from "../errors.ts";
import { resolveBidiSettings } from "./bidi_settings.ts";
import { resolveSyncSettings } from "./settings.ts";

const ENV = { GITLAB_TOKEN: "glpat-aaaaaaaa", GITHUB_TOKEN: "ghp-bbbbbbbb", HOME: "/home/u" };
const PAIR = "sources:\n  - {type: gitlab, url: https://gl.example.com, groups: [backend]}\n" +
  "targets:\n  - {type: github, url: https://gh.example.com, organization: myorg}\n";

function load(yaml: string) {
  const file = join(mkdtempSync(join(tmpdir(), "rc-bidi-cfg-")), "c.yml");
  writeFileSync(file, yaml);
  return loadConfigFile(file, ENV);
}

Deno.test("resolveSyncSettings() reads sync.mode bidirectional with the spec's keys and defaults", async (t) => {
  await t.step("defaults: fail, no propagation, XDG state dir", () => {
    const s = resolveSyncSettings(load(PAIR + "sync:\n  mode: bidirectional\n"), { env: ENV });
    assert.deepEqual(s.bidirectional, {
      strategy: "fail",
      propagateDeletes: false,
      stateDir: "/home/u/.local/state/repo-cloner",
    });
    const x = resolveSyncSettings(load(PAIR + "sync:\n  mode: bidirectional\n"), {
      env: { ...ENV, XDG_STATE_HOME: "/s" },
    });
    assert.equal(x.bidirectional?.stateDir, "/s/repo-cloner");
  });
  await t.step("fail_fast is fail; source_wins, propagate_deletes and state_dir as given", () => {
    const ff = resolveSyncSettings(
      load(PAIR + "sync:\n  mode: bidirectional\n  conflict_resolution: fail_fast\n"),
      {
        env: ENV,
      },
    );
    assert.equal(ff.bidirectional?.strategy, "fail");
    const s = resolveSyncSettings(
      load(
        PAIR +
          "sync:\n  mode: bidirectional\n  conflict_resolution: target_wins\n  propagate_deletes: true\n  state_dir: /var/lib/rc\n",
      ),
      { env: ENV },
    );
    assert.deepEqual(s.bidirectional, {
      strategy: "target_wins",
      propagateDeletes: true,
      stateDir: "/var/lib/rc",
    });
  });
  await t.step("one-way keeps bidirectional unset", () => {
    assert.equal(resolveSyncSettings(load(PAIR), { env: ENV }).bidirectional, undefined);
  });
});

Deno.test("resolveSyncSettings() refuses bidirectional configs that are not one pair", () => {
  const two = PAIR +
    "  - {type: gitlab, url: https://gl2.example.com, namespace: mirror}\nsync:\n  mode: bidirectional\n";
  assert.throws(
    () => resolveSyncSettings(load(two), { env: ENV }),
    (e: unknown) =>
      e instanceof UsageError &&
      /^Cannot sync bidirectionally with 1 source\(s\) and 2 target\(s\): sync\.mode bidirectional keeps exactly one pair in step/
        .test(e.message),
  );
  assert.throws(
    () => resolveSyncSettings(load(PAIR + "sync:\n  mode: bidirectional\n  prune: true\n"), { env: ENV }),
    /^UsageError: Cannot use prune with sync\.mode bidirectional: deletions follow sync\.propagate_deletes instead/,
  );
  assert.throws(
    () =>
      resolveSyncSettings(load(PAIR + "sync:\n  mode: bidirectional\n  conflict_resolution: merge\n"), {
        env: ENV,
      }),
    /conflict_resolution/,
  );
});

Deno.test("resolveBidiSettings() refuses a target that is not GitHub or GitLab", () => {
  const config = {
    sync: {
      mode: "bidirectional" as const,
      conflict_resolution: "fail" as const,
      propagate_deletes: false,
      prune: false,
    },
  };
  assert.throws(
    () => resolveBidiSettings(config, { env: ENV, sources: 1, targets: [{ type: "git" }] }),
    /^UsageError: Cannot sync bidirectionally with a "git" target: both sides must be GitHub or GitLab/,
  );
  assert.equal(resolveBidiSettings({}, { env: ENV, sources: 2, targets: [] }), undefined);
});

Deno.test("examples/configs/bidirectional-sync.yml resolves to a bidirectional pair", () => {
  const file = join(import.meta.dirname ?? ".", "../../examples/configs/bidirectional-sync.yml");
  const env = { ...ENV, GITHUB_ORG: "myorg" };
  const s = resolveSyncSettings(loadConfigFile(file, env), { env });
  assert.deepEqual(s.bidirectional, {
    strategy: "fail",
    propagateDeletes: false,
    stateDir: "/home/u/.local/state/repo-cloner",
  });
  assert.deepEqual([s.sources[0].type, s.targets[0].type], ["gitlab", "github"]);
});
