/**
 * Runs one example workflow the way `main.ts` runs a command: errors become the binary's exit codes
 * (0 ok, 1 failed, 2 usage, 3 verification, 4 partial, 5 auth) and a redacted `✗ <message>` line, and
 * the session's log shippers are flushed and its log file closed at the end.
 */
import { openContexts } from "../../src/cli/context.ts";
import { exitCodeOf, RepoClonerError } from "../../src/errors.ts";
import { redactor } from "../../src/log/redact.ts";

/** Runs `workflow`, then sets `process.exitCode`. Never throws. */
export async function runWorkflow(workflow: () => Promise<void>): Promise<void> {
  try {
    await workflow();
    process.exitCode = 0;
  } catch (error) {
    const message = redactor.redact(error instanceof Error ? error.message : String(error));
    const type = error instanceof RepoClonerError ? error.errorType : (error as Error)?.name ?? "Error";
    for (const ctx of openContexts) {
      ctx.logger.child("workflows").error(message, { error_type: type, status: "failure" });
    }
    process.stderr.write(`✗ ${message}\n`);
    process.exitCode = exitCodeOf(error);
  } finally {
    for (const ctx of openContexts) {
      await ctx.shippers.close();
      ctx.logger.close();
    }
  }
}
