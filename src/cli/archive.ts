import type { Command } from "commander";

/** Registers `archive create|verify|restore|inspect`. Each verb lives in its own file. */
export function registerArchiveCommands(program: Command): void {
  program.command("archive").description("create, verify, restore and inspect air-gap archives");
}
