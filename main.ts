/**
 * Entry point: builds the CLI, runs it, maps typed errors to exit codes. Nothing else.
 */
import { CommanderError } from "commander";
import { buildProgram } from "./src/cli/program.ts";
import { openContexts } from "./src/cli/context.ts";
import { ExitCode, exitCodeOf, RepoClonerError } from "./src/errors.ts";
import { redactor } from "./src/log/redact.ts";
import { explainSystemError } from "./src/fs/system_error.ts";

async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv, { from: "user" });
    return process.exitCode && typeof process.exitCode === "number" ? process.exitCode : ExitCode.ok;
  } catch (thrown) {
    const error = explainSystemError(thrown);
    if (error instanceof CommanderError) {
      if (
        error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.exitCode === 0
      ) {
        return ExitCode.ok;
      }
      return ExitCode.usage;
    }
    const code = exitCodeOf(error);
    const message = redactor.redact(error instanceof Error ? error.message : String(error));
    const type = error instanceof RepoClonerError ? error.errorType : (error as Error)?.name ?? "Error";
    for (const ctx of openContexts) {
      ctx.logger.child("cli").error(message, { error_type: type, status: "failure", exit_code: code });
    }
    process.stderr.write(`✗ ${message}\n`);
    if (!(error instanceof RepoClonerError) && process.env.REPO_CLONER_DEBUG) {
      process.stderr.write(redactor.redact(String((error as Error)?.stack)) + "\n");
    }
    return code;
  } finally {
    for (const ctx of openContexts) {
      await ctx.shippers.close();
      ctx.logger.close();
    }
  }
}

process.exitCode = await main(process.argv.slice(2));
