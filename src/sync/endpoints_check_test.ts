import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { assertTargetsAreNotSources } from "./endpoints_check.ts";
import type { SourceSettings, TargetSettings } from "./settings.ts";

const src = (type: "github" | "gitlab", url: string | undefined, ns: string): SourceSettings => ({
  type,
  url,
  token: "t",
  tokenOrigin: "T",
  namespaces: [ns],
  repositories: [],
  includeArchived: false,
});
const tgt = (type: "github" | "gitlab", url: string | undefined, ns: string): TargetSettings => ({
  type,
  url,
  token: "t",
  tokenOrigin: "T",
  namespace: ns,
  visibility: "private",
  prune: false,
});

Deno.test("assertTargetsAreNotSources() refuses a target that is, or lies inside, a source namespace", async (t) => {
  const refuse: Array<[SourceSettings, TargetSettings]> = [
    [
      src("gitlab", "https://gitlab.example.com", "backend"),
      tgt("gitlab", "https://GITLAB.example.com/", "backend"),
    ],
    [src("gitlab", undefined, "Backend"), tgt("gitlab", "https://gitlab.com", "backend/mirrors")],
    [src("github", undefined, "myorg"), tgt("github", undefined, "myorg")],
  ];
  for (const [s, x] of refuse) {
    await t.step(`${s.namespaces[0]} -> ${x.namespace}`, () =>
      assert.throws(
        () => assertTargetsAreNotSources({ sources: [s], targets: [x] }),
        (e) => e instanceof UsageError && /pushed into themselves/.test(e.message),
      ));
  }
  const allow: Array<[SourceSettings, TargetSettings]> = [
    [src("gitlab", undefined, "backend"), tgt("github", undefined, "backend")],
    [src("gitlab", "https://a.example", "backend"), tgt("gitlab", "https://b.example", "backend")],
    [src("gitlab", undefined, "backend/sub"), tgt("gitlab", undefined, "backend")],
    [src("gitlab", undefined, "back"), tgt("gitlab", undefined, "backend")],
  ];
  for (const [s, x] of allow) {
    await t.step(
      `allowed: ${s.type}:${s.namespaces[0]} -> ${x.type}:${x.namespace}`,
      () => assertTargetsAreNotSources({ sources: [s], targets: [x] }),
    );
  }
});
