/**
 * Why an archive could not be read or does not check out, before the caller turns it into a
 * user-facing error (`VerificationError`, exit 3, or `UsageError`, exit 2, for a missing file).
 * `reason` is a lowercase clause ("entry "repo.bundle" sha256 mismatch") that callers put after
 * `Cannot <action> archive "<name>": `.
 */
export class ArchiveFormatError extends Error {
  /** The clause naming what is wrong. */
  readonly reason: string;
  /** The archive entry that failed first, when known. */
  readonly entry?: string;
  /** True when the archive file could not be opened: missing, unreadable, not a regular file (a usage problem, exit 2). */
  readonly openFailed: boolean;
  /** What the user can do, when the default advice ("damaged or tampered with") does not fit. */
  readonly hint?: string;
  constructor(
    reason: string,
    options: { entry?: string; openFailed?: boolean; hint?: string; cause?: unknown } = {},
  ) {
    super(reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ArchiveFormatError";
    this.reason = reason;
    this.entry = options.entry;
    this.openFailed = options.openFailed ?? false;
    this.hint = options.hint;
  }
}
