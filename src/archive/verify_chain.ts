import { type ChainLink, chainPositions, checkChain } from "./chain.ts";
import { assertSameManifest, readChainLinks } from "./restore_chain.ts";
import { verifyArchive, type VerifyOptions, type VerifyReport } from "./verify.ts";

/** The outcome of {@link verifyChain}. */
export interface ChainVerifyReport {
  valid: true;
  /** True when the chain starts with a full archive (else it is checked from its first incremental on). */
  complete: boolean;
  /** "1/3 full", "2/3 incremental on <id>", … */
  positions: string[];
  /** Each archive's report, in order. */
  archives: VerifyReport[];
}

/** Options of {@link verifyChain}. */
export interface VerifyChainOptions extends VerifyOptions {
  /** Called before an archive is read (the CLI checks its signature on the raw bytes here). */
  beforeArchive?: (path: string, index: number) => Promise<void> | void;
  /** Called with each archive's report as soon as it verified. */
  onArchive?: (report: VerifyReport, index: number) => Promise<void> | void;
}

/**
 * Verifies a chain of archives: first, from their manifests alone, that they are one chain in order
 * (`checkChain`: ids, base manifest and ref-state hashes, inherited LFS objects and dependency files
 * carried earlier; it may start with an incremental whose base is not given), then each archive in
 * one streaming pass as `verifyArchive` does, checking that the manifest read first is the one verified.
 * Bundle prerequisites are commits inside earlier packs; without git they are not resolved here, but
 * `archive restore` has git check them before it changes anything.
 * @throws VerificationError (exit 3) naming the archive that breaks the chain or the first bad entry;
 *   UsageError (exit 2) for a missing file.
 */
export async function verifyChain(
  paths: string[],
  options: VerifyChainOptions = {},
): Promise<ChainVerifyReport> {
  const links: ChainLink[] = await readChainLinks(paths, "verify");
  checkChain(links, { startsWithFull: false, action: "verify" });
  const archives: VerifyReport[] = [];
  for (const [i, path] of paths.entries()) {
    await options.beforeArchive?.(path, i);
    const report = await verifyArchive(path, options);
    assertSameManifest(links[i], report.manifest_sha256);
    archives.push(report);
    await options.onArchive?.(report, i);
  }
  return {
    valid: true,
    complete: links[0].manifest.type === "full",
    positions: chainPositions(links),
    archives,
  };
}
