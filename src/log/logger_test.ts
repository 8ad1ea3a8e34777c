import assert from "node:assert/strict";
import { Logger, type LogRecord } from "./logger.ts";

Deno.test("Logger.setContext() stamps fields on later records; event fields win; {} clears", () => {
  const logger = new Logger({ sessionId: "sync-20251013-153000", now: () => new Date(0) });
  const seen: LogRecord[] = [];
  logger.addSink((r) => seen.push(r));
  const log = logger.child("scheduler");
  log.info("before");
  logger.setContext({ cycle: 2, unused: undefined });
  log.info("during", { repository: "a" });
  log.info("override", { cycle: 9 });
  logger.setContext({});
  log.info("after");
  assert.deepEqual(seen.map((r) => [r.message, r.cycle]), [
    ["before", undefined],
    ["during", 2],
    ["override", 9],
    ["after", undefined],
  ]);
  assert.deepEqual(Object.keys(seen[1]), [
    "timestamp",
    "level",
    "logger",
    "message",
    "session_id",
    "cycle",
    "repository",
  ]);
  assert.ok(!("unused" in seen[1]));
});
