import assert from "node:assert/strict";
import { AuthError, TransientError } from "../errors.ts";
import type { S3ArchiveTarget } from "./archive_target.ts";
import { FanOut } from "./fan_out.ts";
import type { SyncTarget } from "./target.ts";
import type { TargetOutcome } from "./types.ts";

const target = (label: string) => ({ label, kind: "git" }) as unknown as SyncTarget;
const outcome = (label: string, status: TargetOutcome["status"]): TargetOutcome => ({
  target: label,
  target_url: "",
  status,
  created: false,
  up_to_date: false,
  commits_synced: 0,
  branches_synced: 0,
  tags_synced: 0,
  refs_deleted: 0,
  diverged: [],
  plan: [],
});

Deno.test("FanOut retries only the targets that failed transiently and keeps every outcome in config order", async () => {
  const s3 = { label: "s3://b", kind: "s3" } as unknown as S3ArchiveTarget;
  const fan = new FanOut([target("a"), target("b")], [s3], ["a", "s3://b", "b"]);
  const flaky = new TransientError("Network timeout");
  await assert.rejects(
    fan.run(() =>
      Promise.resolve({
        fetched: true,
        targets: [outcome("a", "success"), outcome("b", "failure"), outcome("s3://b", "failure")],
        failures: [{ target: "b", error: flaky }, { target: "s3://b", error: new Error("denied") }],
      })
    ),
    (e) => e === flaky && fan.isTargetRetry(e),
  );
  assert.deepEqual(fan.pushTargets().map((t) => t.label), ["b"]);
  assert.deepEqual(fan.archiveTargets(), [], "a non-transient failure is not retried");
  const r = await fan.run(() =>
    Promise.resolve({ fetched: false, targets: [outcome("b", "success")], failures: [] })
  );
  assert.equal(r.fetched, true, "fetched in any attempt");
  assert.deepEqual(r.targets.map((t) => `${t.target}:${t.status}`), [
    "a:success",
    "s3://b:failure",
    "b:success",
  ]);
  assert.equal(fan.isTargetRetry(new TransientError("other")), false);
  assert.equal(fan.authError(), undefined);
});

Deno.test("FanOut.authError() reports a push target's rejected token, not an archive target's", async () => {
  const denied = new AuthError("Cannot authenticate");
  const s3 = { label: "s3://b", kind: "s3" } as unknown as S3ArchiveTarget;
  const fan = new FanOut([target("a")], [s3], ["a", "s3://b"]);
  await fan.run(() =>
    Promise.resolve({
      fetched: false,
      targets: [outcome("a", "success"), outcome("s3://b", "failure")],
      failures: [{ target: "s3://b", error: new AuthError("AccessDenied") }],
    })
  );
  assert.equal(fan.authError(), undefined);
  const fan2 = new FanOut([target("a")], [], ["a"]);
  await fan2.run(() =>
    Promise.resolve({
      fetched: false,
      targets: [outcome("a", "failure")],
      failures: [{ target: "a", error: denied }],
    })
  );
  assert.equal(fan2.authError(), denied);
});
