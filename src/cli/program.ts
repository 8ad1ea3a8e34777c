import { Command, Option } from "commander";
import { VERSION } from "../version.ts";
import type { GlobalOptions } from "./context.ts";
import { registerArchiveCommands } from "./archive.ts";
import { registerKeyCommands } from "./key.ts";
import { registerSyncCommand } from "./sync.ts";
import { registerDemoCommand } from "./demo.ts";
import { registerStorageCommands } from "./storage.ts";

/** Builds the `repo-cloner` command tree. Handlers throw; only main.ts exits. */
export function buildProgram(): Command {
  const program = new Command("repo-cloner")
    .description("Move git repositories across platforms and across air gaps.")
    .version(VERSION, "-V, --version", "print the version")
    .option("-c, --config <file>", "YAML configuration file")
    .option("--log-file <path>", "JSON-lines log file (default /tmp/repo-cloner-<session>.log)")
    .option("--log-level <level>", "debug, info, warning, error")
    .option("--json", "print one JSON result object on stdout")
    .option("-q, --quiet", "print only errors")
    .option("--no-color", "no colours (NO_COLOR is honoured too)")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(s) });
  program.addOption(new Option("--debug-stack").hideHelp());

  program.command("version").description("print version information").action(() => {
    console.log(`repo-cloner ${VERSION}`);
  });

  registerArchiveCommands(program);
  registerKeyCommands(program);
  registerSyncCommand(program);
  registerDemoCommand(program);
  registerStorageCommands(program);
  return program;
}

/** The global options of the root command, as seen from a subcommand. */
export function globalsOf(cmd: Command): GlobalOptions {
  let root = cmd;
  while (root.parent) root = root.parent;
  return root.opts() as GlobalOptions;
}
