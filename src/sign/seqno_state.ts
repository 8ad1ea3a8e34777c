/**
 * Rollback protection: a JSON state file maps each repository to the highest archive sequence number
 * restored so far. An archive with a lower number is refused, so an attacker who holds old (validly
 * signed) archives cannot roll a restored repository back.
 *
 * File: `<stateDir>/signature-sequence.json`,
 * `{"version":1,"repositories":{"<repo>":{"seq":7,"archive_id":"…","recorded_at":"…"}}}`.
 * Written atomically. Callers that may run concurrently must hold the state directory's lock.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { VerificationError } from "../errors.ts";
import { writeFileAtomic } from "../fs/atomic_write.ts";

/** File name of the restore side's state (highest sequence restored per repository). */
export const SEQUENCE_STATE_FILE = "signature-sequence.json";
/** File name of the create side's state (last sequence issued per repository), same format. */
export const ISSUED_SEQUENCE_FILE = "signature-sequence-issued.json";

/** One repository's entry. */
export interface SequenceEntry {
  seq: number;
  archive_id?: string;
  recorded_at: string;
}

/** The state file's contents. */
export interface SequenceState {
  version: 1;
  repositories: Record<string, SequenceEntry>;
}

/**
 * Reads a state file (`file` defaults to {@link SEQUENCE_STATE_FILE}); a missing file is an empty state.
 * @throws {VerificationError} when the file exists but is unreadable or malformed: a damaged rollback
 *   record must not silently reset to "anything goes".
 */
export function readSequenceState(stateDir: string, options: { file?: string } = {}): SequenceState {
  const path = join(stateDir, options.file ?? SEQUENCE_STATE_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, repositories: {} };
    throw new VerificationError(`Cannot read rollback state "${path}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    parsed = error;
  }
  const state = parsed as SequenceState;
  const ok = state && typeof state === "object" && state.version === 1 && state.repositories &&
    typeof state.repositories === "object" && !Array.isArray(state.repositories) &&
    Object.values(state.repositories).every((e) => e && Number.isSafeInteger(e.seq) && e.seq >= 0);
  if (!ok) {
    throw new VerificationError(
      `Cannot read rollback state "${path}": not a valid sequence state file. Restore it from backup or remove it deliberately`,
    );
  }
  return state;
}

/**
 * Refuses a sequence number lower than the last one restored for `repo`. Equal is allowed (restoring
 * the same archive again).
 * @throws {VerificationError} naming both numbers on rollback.
 */
export function checkSequence(repo: string, seq: number, options: { stateDir: string }): void {
  const last = readSequenceState(options.stateDir).repositories[repo];
  if (last && seq < last.seq) {
    throw new VerificationError(
      `Cannot restore "${repo}": archive sequence number ${seq} is lower than ${last.seq}, the last one restored ` +
        `(possible rollback). Use an archive with sequence ${last.seq} or later`,
    );
  }
}

/**
 * Records `seq` as restored for `repo` (keeps the higher number if a higher one is already there).
 * Creates `stateDir` when missing; writes atomically.
 */
export function recordSequence(
  repo: string,
  seq: number,
  options: { stateDir: string; archiveId?: string; now?: () => Date },
): void {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new TypeError(`sequence number must be >= 0, got ${seq}`);
  const state = readSequenceState(options.stateDir);
  const last = state.repositories[repo];
  if (last && last.seq > seq) return;
  writeEntry(state, repo, seq, { ...options, file: SEQUENCE_STATE_FILE });
}

/**
 * Create side: returns the next sequence number for `repo` (1 for the first archive, then last + 1) and
 * records it in {@link ISSUED_SEQUENCE_FILE} under `stateDir`, so numbers never repeat or go down
 * even if the clock does. Put the result in the archive's trusted comment (`seq:`).
 * @throws {VerificationError} when the issued-state file is damaged.
 */
export function issueSequence(
  repo: string,
  options: { stateDir: string; archiveId?: string; now?: () => Date },
): number {
  const state = readSequenceState(options.stateDir, { file: ISSUED_SEQUENCE_FILE });
  const seq = (state.repositories[repo]?.seq ?? 0) + 1;
  writeEntry(state, repo, seq, { ...options, file: ISSUED_SEQUENCE_FILE });
  return seq;
}

function writeEntry(
  state: SequenceState,
  repo: string,
  seq: number,
  options: { stateDir: string; file: string; archiveId?: string; now?: () => Date },
): void {
  state.repositories[repo] = {
    seq,
    ...(options.archiveId ? { archive_id: options.archiveId } : {}),
    recorded_at: (options.now ?? (() => new Date()))().toISOString(),
  };
  mkdirSync(options.stateDir, { recursive: true });
  writeFileAtomic(join(options.stateDir, options.file), JSON.stringify(state, null, 2) + "\n", {
    mode: 0o600,
  });
}
