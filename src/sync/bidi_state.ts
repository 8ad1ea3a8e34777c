/**
 * The state of a bidirectional pair: which repository is the source and which the target, and the
 * object every branch and tag pointed to on both sides when they last agreed. One JSON file per
 * source repository under `<state dir>/bidirectional/<host>/<path>.json`, written atomically, so the
 * next run can tell which side changed. A file that is missing, unreadable, corrupt or written for
 * another pair is never trusted: the run falls back to "no state" (every ref treated as new, nothing
 * deleted) and says why.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../fs/atomic_write.ts";
import { refNameProblem, sameLocation } from "../git/safe_location.ts";
import { redactor } from "../log/redact.ts";

/** `format` value of every state file. */
export const BIDI_STATE_FORMAT = "repo-cloner/bidirectional-state";

const fileSchema = z.object({
  format: z.literal(BIDI_STATE_FORMAT),
  version: z.literal(1),
  source_url: z.string(),
  target_url: z.string(),
  updated_at: z.string(),
  session_id: z.string().optional(),
  refs: z.record(z.string(), z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/)),
});

/** How the state of a pair was found. */
export type BidiStateStatus = "loaded" | "missing" | "corrupt" | "other-pair";

/** Result of {@link loadBidiState}. */
export interface LoadedBidiState {
  status: BidiStateStatus;
  file: string;
  /** Last synced object per ref; only when `status` is "loaded". */
  refs?: Map<string, string>;
  /** Why the state is not used, for the log and the terminal (undefined when loaded). */
  message?: string;
}

/** The identity of a pair: clone URLs without credentials. */
export interface BidiPair {
  sourceUrl: string;
  targetUrl: string;
}

/** State file of the source repository `fullPath` on `host`. */
export function bidiStatePath(stateDir: string, host: string, fullPath: string): string {
  const safeHost = host.replace(/[^A-Za-z0-9.-]/g, "_");
  const safePath = fullPath.split("/").map((s) => s.replace(/^\.+/, "_")).join("/");
  return join(stateDir, "bidirectional", safeHost, `${safePath}.json`);
}

/**
 * Reads the state of `pair` from `file`. Never throws for a bad file: returns the status and a
 * message naming the file, what is wrong and what happens now.
 */
export function loadBidiState(file: string, pair: BidiPair): LoadedBidiState {
  const fallback =
    "Treating this run as a first sync: refs move only where one side contains the other, nothing is deleted";
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      return { status: "missing", file, message: `No sync state yet at "${file}": first bidirectional sync` };
    }
    return {
      status: "corrupt",
      file,
      message: `Cannot read the sync state "${file}": ${(e as Error).message}. ${fallback}`,
    };
  }
  let parsed: z.infer<typeof fileSchema>;
  try {
    parsed = fileSchema.parse(JSON.parse(text));
    for (const ref of Object.keys(parsed.refs)) {
      const why = refNameProblem(ref);
      if (why) throw new Error(`ref ${JSON.stringify(ref)}: ${why}`);
    }
  } catch (e) {
    const why = e instanceof SyntaxError
      ? "not valid JSON"
      : e instanceof z.ZodError
      ? `not a bidirectional state file (${e.issues[0]?.path.join(".") || "root"}: ${e.issues[0]?.message})`
      : (e as Error).message;
    return {
      status: "corrupt",
      file,
      message: `Cannot use the sync state "${file}": ${why}. ${fallback}`,
    };
  }
  if (!sameLocation(parsed.source_url, pair.sourceUrl) || !sameLocation(parsed.target_url, pair.targetUrl)) {
    return {
      status: "other-pair",
      file,
      message: `Cannot use the sync state "${file}": it belongs to another pair (${
        redactor.redact(parsed.source_url)
      } ↔ ${
        redactor.redact(parsed.target_url)
      }), this run syncs ${pair.sourceUrl} ↔ ${pair.targetUrl}. ${fallback}`,
    };
  }
  return { status: "loaded", file, refs: new Map(Object.entries(parsed.refs)) };
}

/** Writes the state of `pair` atomically (temp file, fsync, rename, directory fsync). */
export function saveBidiState(
  file: string,
  pair: BidiPair,
  refs: ReadonlyMap<string, string>,
  options: { now?: Date; sessionId?: string } = {},
): void {
  const sorted = Object.fromEntries([...refs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const body = {
    format: BIDI_STATE_FORMAT,
    version: 1,
    source_url: pair.sourceUrl,
    target_url: pair.targetUrl,
    updated_at: (options.now ?? new Date()).toISOString(),
    session_id: options.sessionId,
    refs: sorted,
  };
  writeFileAtomic(file, JSON.stringify(body, null, 2) + "\n", { createDir: true });
}

/**
 * The state after a run: a ref both sides now agree on records that object; a ref neither side has
 * is forgotten; any other ref (an unresolved conflict, a deletion not propagated, a push refused)
 * keeps its previous entry, so the next run sees the same situation. Pure.
 */
export function nextBidiState(
  previous: ReadonlyMap<string, string> | undefined,
  source: ReadonlyMap<string, string>,
  target: ReadonlyMap<string, string>,
): Map<string, string> {
  const out = new Map<string, string>();
  const refs = new Set([...(previous?.keys() ?? []), ...source.keys(), ...target.keys()]);
  for (const ref of refs) {
    const s = source.get(ref);
    const t = target.get(ref);
    if (s !== undefined && s === t) out.set(ref, s);
    else if (s === undefined && t === undefined) continue;
    else if (previous?.has(ref)) out.set(ref, previous.get(ref)!);
  }
  return out;
}
