import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VerificationError } from "../errors.ts";
import {
  checkSequence,
  ISSUED_SEQUENCE_FILE,
  issueSequence,
  readSequenceState,
  recordSequence,
  SEQUENCE_STATE_FILE,
} from "./seqno_state.ts";

const dir = () => mkdtempSync(join(tmpdir(), "rc-seq-"));

Deno.test("checkSequence() refuses a lower sequence number, naming both", () => {
  const stateDir = join(dir(), "state");
  checkSequence("org/app", 0, { stateDir });
  recordSequence("org/app", 7, { stateDir, archiveId: "id-7" });
  checkSequence("org/app", 7, { stateDir });
  checkSequence("org/app", 8, { stateDir });
  checkSequence("org/other", 1, { stateDir });
  assert.throws(
    () => checkSequence("org/app", 6, { stateDir }),
    (e: unknown) =>
      e instanceof VerificationError && e.exitCode === 3 && /number 6 is lower than 7/.test(e.message),
  );
});

Deno.test("recordSequence() keeps the highest number, writes atomically with mode 0600", () => {
  const stateDir = dir();
  const now = () => new Date("2025-10-13T15:30:00Z");
  recordSequence("a", 3, { stateDir, now });
  recordSequence("a", 2, { stateDir, now });
  recordSequence("b", 1, { stateDir, now });
  const state = readSequenceState(stateDir);
  assert.deepEqual(state.repositories.a, { seq: 3, recorded_at: "2025-10-13T15:30:00.000Z" });
  assert.equal(state.repositories.b.seq, 1);
  assert.deepEqual(readdirSync(stateDir), [SEQUENCE_STATE_FILE]);
  assert.equal(statSync(join(stateDir, SEQUENCE_STATE_FILE)).mode & 0o777, 0o600);
  assert.throws(() => recordSequence("a", -1, { stateDir }), TypeError);
});

Deno.test("a damaged state file is refused, not reset", async (t) => {
  const cases = [
    "{not json",
    "[]",
    '{"version":2,"repositories":{}}',
    '{"version":1,"repositories":{"a":{"seq":"1"}}}',
  ];
  for (const text of cases) {
    await t.step(text, () => {
      const stateDir = dir();
      writeFileSync(join(stateDir, SEQUENCE_STATE_FILE), text);
      assert.throws(() => checkSequence("a", 1, { stateDir }), /not a valid sequence state file/);
      assert.throws(() => recordSequence("a", 1, { stateDir }), VerificationError);
      assert.equal(readFileSync(join(stateDir, SEQUENCE_STATE_FILE), "utf8"), text);
    });
  }
});

Deno.test("issueSequence() hands out 1, 2, 3… per repository, kept apart from the restore state", () => {
  const stateDir = dir();
  assert.deepEqual([
    issueSequence("a", { stateDir }),
    issueSequence("a", { stateDir }),
    issueSequence("b", { stateDir }),
  ], [
    1,
    2,
    1,
  ]);
  assert.equal(issueSequence("a", { stateDir, archiveId: "id-3" }), 3);
  assert.equal(readSequenceState(stateDir, { file: ISSUED_SEQUENCE_FILE }).repositories.a.archive_id, "id-3");
  assert.deepEqual(readSequenceState(stateDir).repositories, {});
  checkSequence("a", 1, { stateDir });
});
