import { git } from "../git/git.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { catFileBatch } from "./_cat_file.ts";
import { gitRecords } from "./_git_stream.ts";
import { clip } from "./collect_history.ts";
import type { ReviewData } from "./review_schema.ts";

/** What {@link collectTipBinaries} found: review.json's `binary_files` without its `scope`. */
export type TipBinaries = Pick<ReviewData["binary_files"], "total" | "files">;

/** Options of {@link collectTipBinaries}. */
export interface TipBinariesOptions {
  /** Files listed (the total is exact). Default 200. */
  limit?: number;
  logger?: ModuleLogger;
  signal?: AbortSignal;
}

/** A (path, blob) pair first met at a tip. Paths are latin1 strings: one character per byte. */
interface Sighting {
  path: string;
  blob: string;
  tip: string;
}

/**
 * The files at the tip commits `tips` (in report order) that git calls binary, each path once, with
 * the first tip holding a binary version of it. git's own test, as `git diff --numstat` applies it
 * to each file: the `diff` attribute unset (`-diff`, or the `binary` macro), a blob larger than
 * `core.bigFileThreshold`, or a NUL in its first 8000 bytes. Trees shared by several tips are read
 * once (`git cat-file --batch`), and git reads each distinct blob once (see `binaryByContent`): the
 * cost is one read of the files at the tips, whatever the length of the history.
 * @throws GitError when git fails.
 */
export async function collectTipBinaries(
  gitDir: string,
  tips: string[],
  options: TipBinariesOptions = {},
): Promise<TipBinaries> {
  const limit = options.limit ?? 200;
  const ctx = { cwd: gitDir, logger: options.logger, signal: options.signal };
  const result: TipBinaries = { total: 0, files: [] };
  const roots = await rootTrees(tips, ctx);
  if (!roots.size) return result;
  const trees = await readTrees([...new Set(roots.values())], ctx);

  // Walk each tip's tree; a subtree already walked at the same path adds nothing new.
  const sightings: Sighting[] = [];
  const seen = new Set<string>();
  const walked = new Set<string>();
  const walk = (tree: string, prefix: string, tip: string) => {
    const key = `${tree}\0${prefix}`;
    if (walked.has(key)) return;
    walked.add(key);
    for (const e of trees.get(tree) ?? []) {
      const path = prefix + e.name;
      if (e.kind === "tree") walk(e.oid, path + "/", tip);
      else if (e.kind === "file") {
        const pair = `${path}\0${e.oid}`;
        if (seen.has(pair)) continue;
        seen.add(pair);
        sightings.push({ path, blob: e.oid, tip });
      }
      // Symlinks (120000) hold a target path and gitlinks (160000) a commit id: never binary.
    }
  };
  for (const tip of tips) {
    const root = roots.get(tip);
    if (root) walk(root, "", tip);
  }
  if (!sightings.length) return result;

  const binaryBlobs = await binaryByContent([...new Set(sightings.map((s) => s.blob))], ctx);
  const unset = await diffUnset([...new Set(sightings.map((s) => s.path))], ctx);

  const listed = new Set<string>();
  for (const s of sightings) {
    if (listed.has(s.path) || !(unset.has(s.path) || binaryBlobs.has(s.blob))) continue;
    listed.add(s.path);
    result.total++;
    if (result.files.length < limit) {
      result.files.push({ path: clip(Buffer.from(s.path, "latin1").toString("utf8")), commit: s.tip });
    }
  }
  return result;
}

type Ctx = { cwd: string; logger?: ModuleLogger; signal?: AbortSignal };

/** tip commit → its root tree. */
async function rootTrees(tips: string[], ctx: Ctx): Promise<Map<string, string>> {
  const unique = [...new Set(tips)];
  const out = new Map<string, string>();
  if (!unique.length) return out;
  const r = await git(["cat-file", "--batch-check=%(objectname) %(objecttype)"], {
    ...ctx,
    input: unique.map((t) => `${t}^{tree}\n`).join(""),
  });
  const lines = r.stdout.split("\n");
  unique.forEach((tip, i) => {
    const m = /^([0-9a-f]{40,64}) tree$/.exec(lines[i] ?? "");
    if (m) out.set(tip, m[1]);
  });
  return out;
}

interface TreeEntry {
  /** From the mode: 040000 tree, 100644/100755 file; symlinks (120000) and gitlinks (160000) are "other". */
  kind: "tree" | "file" | "other";
  /** latin1: one character per byte of the name. */
  name: string;
  oid: string;
}

/** Every tree under `roots`, level by level (one `cat-file --batch` per level), parsed. */
async function readTrees(roots: string[], ctx: Ctx): Promise<Map<string, TreeEntry[]>> {
  const trees = new Map<string, TreeEntry[]>();
  let level = roots;
  for (let depth = 0; level.length && depth < 4096; depth++) {
    const next = new Set<string>();
    await catFileBatch(ctx.cwd, level, (o) => {
      if (o.type !== "tree") return;
      const entries = parseTree(o.content, o.oid.length / 2);
      trees.set(o.oid, entries);
      for (const e of entries) if (e.kind === "tree" && !trees.has(e.oid)) next.add(e.oid);
    }, ctx);
    level = [...next].filter((t) => !trees.has(t));
  }
  return trees;
}

/** A tree object's entries: `<mode> <name>\0<raw object id>` repeated. */
function parseTree(bytes: Buffer, idBytes: number): TreeEntry[] {
  const out: TreeEntry[] = [];
  let i = 0;
  while (i < bytes.length) {
    const space = bytes.indexOf(0x20, i);
    const nul = bytes.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 1 + idBytes > bytes.length) break;
    const type = parseInt(bytes.toString("latin1", i, space), 8) & 0o170000;
    out.push({
      kind: type === 0o040000 ? "tree" : type === 0o100000 ? "file" : "other",
      name: bytes.toString("latin1", space + 1, nul),
      oid: bytes.toString("hex", nul + 1, nul + 1 + idBytes),
    });
    i = nul + 1 + idBytes;
  }
  return out;
}

/** Paths whose `diff` attribute is unset (`-diff`, `binary`): git shows them as binary unread. */
async function diffUnset(paths: string[], ctx: Ctx): Promise<Set<string>> {
  const out = new Set<string>();
  const fields: string[] = [];
  await gitRecords(["check-attr", "-z", "--stdin", "diff"], (field) => {
    fields.push(field);
    if (fields.length < 3) return;
    const [path, , value] = fields.splice(0, 3);
    if (value === "unset") out.add(path);
  }, { ...ctx, input: paths, inputSeparator: "\0", separator: "\0", encoding: "latin1" });
  return out;
}

/**
 * Which of `blobs` git's diff calls binary by content (a NUL in the first 8000 bytes, or larger than
 * `core.bigFileThreshold`), asked of git itself without moving the blobs through this process: a
 * tree holding each blob once under a made-up name (`git mktree`, one loose object in this scratch
 * clone, unreachable from any ref) is diffed against the empty tree with `--numstat`, which prints
 * `-	-` for binary files. Names are numbers, so attributes play no part here (see `diffUnset`).
 */
async function binaryByContent(blobs: string[], ctx: Ctx): Promise<Set<string>> {
  const out = new Set<string>();
  if (!blobs.length) return out;
  const listing = blobs.map((oid, i) => `100644 blob ${oid}\t${i}\0`).join("");
  const tree = (await git(["mktree", "-z"], { ...ctx, input: listing })).stdout.trim();
  const empty = (await git(["hash-object", "-t", "tree", "--stdin"], { ...ctx, input: "" })).stdout.trim();
  await gitRecords(["diff-tree", "-r", "-z", "--numstat", "--no-renames", empty, tree], (record) => {
    const m = /^-\t-\t(\d+)$/.exec(record);
    if (m) out.add(blobs[Number(m[1])]);
  }, { ...ctx, separator: "\0" });
  return out;
}
