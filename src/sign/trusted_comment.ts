/**
 * The trusted comment we sign into an archive's `.minisig`: one line of space-separated `key:value`
 * fields, in this order:
 *
 *     timestamp:<unix seconds> file:<archive file name> archive_id:<id> type:<full|incremental>
 *     base:<base archive id or -> seq:<sequence number> repo:<repository name>
 *
 * minisign shows it after verifying (`Trusted comment: …`), and its signature covers it, so none of these
 * fields can be edited without the secret key. `seq` grows with every archive of a repository and is
 * what the rollback check compares.
 */

/** The fields of an archive's trusted comment. */
export interface ArchiveSignatureFields {
  /** Signing time, Unix seconds. */
  timestamp: number;
  /** Archive file name (no directory). */
  file: string;
  archiveId: string;
  type: "full" | "incremental";
  /** Base archive id for incremental archives; null for full ones. */
  base: string | null;
  /** Sequence number per repository; never goes down. */
  seq: number;
  repo: string;
}

const KEYS = ["timestamp", "file", "archive_id", "type", "base", "seq", "repo"] as const;
const TOKEN = /^[^\s\p{Cc}]+$/u;
const NUMBER = /^(0|[1-9][0-9]{0,15})$/;

function checkToken(name: string, value: string): void {
  if (!TOKEN.test(value)) {
    throw new TypeError(
      `Cannot build trusted comment: ${name} ${JSON.stringify(value)} is empty or has whitespace`,
    );
  }
}

function checkNumber(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`Cannot build trusted comment: ${name} must be a non-negative integer, got ${value}`);
  }
}

/**
 * Formats the fields as the trusted comment line.
 * @throws {TypeError} when a value is empty, has whitespace, or a number is not a non-negative integer.
 */
export function formatArchiveTrustedComment(fields: ArchiveSignatureFields): string {
  checkNumber("timestamp", fields.timestamp);
  checkNumber("seq", fields.seq);
  checkToken("file", fields.file);
  if (fields.file.includes("/")) {
    throw new TypeError(`Cannot build trusted comment: file must be a bare name`);
  }
  checkToken("archive_id", fields.archiveId);
  if (fields.type !== "full" && fields.type !== "incremental") {
    throw new TypeError(`Cannot build trusted comment: type must be full or incremental`);
  }
  if (fields.base !== null) checkToken("base", fields.base);
  if (fields.base === "-") throw new TypeError(`Cannot build trusted comment: base "-" is reserved for none`);
  checkToken("repo", fields.repo);
  return [
    `timestamp:${fields.timestamp}`,
    `file:${fields.file}`,
    `archive_id:${fields.archiveId}`,
    `type:${fields.type}`,
    `base:${fields.base ?? "-"}`,
    `seq:${fields.seq}`,
    `repo:${fields.repo}`,
  ].join(" ");
}

/** True when `comment` claims to be an archive trusted comment (it has an `archive_id:` field). */
export function isArchiveTrustedComment(comment: string): boolean {
  return comment.split(" ").some((t) => t.startsWith("archive_id:"));
}

/**
 * Parses an archive trusted comment. Strict: exactly the seven fields, in order, single spaces.
 * @throws {SyntaxError} naming the first problem.
 */
export function parseArchiveTrustedComment(comment: string): ArchiveSignatureFields {
  const tokens = comment.split(" ");
  if (tokens.length !== KEYS.length) {
    throw new SyntaxError(
      `trusted comment has ${tokens.length} fields, expected ${KEYS.length} (${KEYS.join(" ")})`,
    );
  }
  const values: Record<string, string> = {};
  tokens.forEach((token, i) => {
    const colon = token.indexOf(":");
    const key = colon < 0 ? token : token.slice(0, colon);
    if (key !== KEYS[i]) {
      throw new SyntaxError(`trusted comment field ${i + 1} is "${key}", expected "${KEYS[i]}"`);
    }
    const value = token.slice(colon + 1);
    if (colon < 0 || !TOKEN.test(value)) throw new SyntaxError(`trusted comment field "${key}" has no value`);
    values[key] = value;
  });
  for (const key of ["timestamp", "seq"]) {
    if (!NUMBER.test(values[key]) || !Number.isSafeInteger(Number(values[key]))) {
      throw new SyntaxError(`trusted comment field "${key}" is not a number: ${JSON.stringify(values[key])}`);
    }
  }
  if (values.type !== "full" && values.type !== "incremental") {
    throw new SyntaxError(
      `trusted comment field "type" must be full or incremental, got ${JSON.stringify(values.type)}`,
    );
  }
  if (values.file.includes("/")) throw new SyntaxError(`trusted comment field "file" must be a bare name`);
  return {
    timestamp: Number(values.timestamp),
    file: values.file,
    archiveId: values.archive_id,
    type: values.type,
    base: values.base === "-" ? null : values.base,
    seq: Number(values.seq),
    repo: values.repo,
  };
}
