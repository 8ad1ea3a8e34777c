import type { Command } from "commander";
import { registerArchiveVerify } from "./archive_verify.ts";
import { registerArchiveInspect } from "./archive_inspect.ts";
import { registerArchiveCreate } from "./archive_create.ts";
import { registerArchiveRestore } from "./archive_restore.ts";

/** Registers `archive create|verify|restore|inspect`. Each verb lives in its own file. */
export function registerArchiveCommands(program: Command): void {
  const archive = program.command("archive").description(
    "create, verify, restore and inspect air-gap archives",
  );
  registerArchiveCreate(archive);
  registerArchiveVerify(archive);
  registerArchiveRestore(archive);
  registerArchiveInspect(archive);
}
