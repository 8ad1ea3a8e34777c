import { Command, Option } from "commander";
import { VERSION } from "../version.ts";
import type { GlobalOptions } from "./context.ts";

/** Adds a command (or command group) to the root program. */
type Register = (program: Command) => void;

/**
 * Top-level commands, each loaded on demand: `repo-cloner version` should not pay for the AWS SDK, and
 * `sync` not for the archive, S3 and SBOM code. Register a new command here with one line; the order is
 * the order of the help listing. A static import of a command module would load it on every run.
 */
const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<Register>]> = [
  ["archive", async () => (await import("./archive.ts")).registerArchiveCommands],
  ["key", async () => (await import("./key.ts")).registerKeyCommands],
  ["sync", async () => (await import("./sync.ts")).registerSyncCommand],
  ["demo", async () => (await import("./demo.ts")).registerDemoCommand],
  ["storage", async () => (await import("./storage.ts")).registerStorageCommands],
];

/** The root command with the global options and `version`, without the other commands. */
function rootCommand(): Command {
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
    .exitOverride();
  program.addOption(new Option("--debug-stack").hideHelp());
  program.command("version").description("print version information").action(() => {
    console.log(`repo-cloner ${VERSION}`);
  });
  return program;
}

/**
 * The command that `argv` runs, as commander's own option parser sees it (global options may come first,
 * with values in any form commander accepts); undefined when argv names none or cannot be parsed.
 */
function commandNamed(argv: readonly string[]): string | undefined {
  const probe = rootCommand().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  try {
    return probe.parseOptions([...argv]).operands[0];
  } catch {
    return undefined; // e.g. `--config` without a value or `-V`: the full program reports or handles it
  }
}

/**
 * Builds the `repo-cloner` command tree. Given the command line, it loads only the command that the line
 * runs; otherwise (no argv, root help, `help`, an unknown command) every command, so help listings and
 * unknown-command suggestions are complete. Handlers throw; only main.ts exits.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = rootCommand().configureOutput({ outputError: (s, write) => write(s) });
  const name = argv === undefined ? undefined : commandNamed(argv);
  const wanted = COMMANDS.filter(([n]) => n === name);
  const loads = (wanted.length > 0 || name === "version" ? wanted : COMMANDS).map(([, load]) => load());
  for (const register of await Promise.all(loads)) register(program);
  return program;
}

/** The global options of the root command, as seen from a subcommand. */
export function globalsOf(cmd: Command): GlobalOptions {
  let root = cmd;
  while (root.parent) root = root.parent;
  return root.opts() as GlobalOptions;
}
