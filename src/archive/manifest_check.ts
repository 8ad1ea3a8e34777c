import { createHash } from "node:crypto";
import { ArchiveFormatError } from "./archive_format_error.ts";
import type { BundleSummary } from "./bundle_check.ts";
import { isValidRefName } from "./bundle_header.ts";
import { ancestorsOf, collisionKey, entryPathProblem } from "./entry_path.ts";
import { type FileEntry, lfsEntryPath, type Manifest, manifestSchema } from "./manifest.ts";

/** What kind of content an archive entry holds, by its path (docs/ARCHIVE-FORMAT.md, "Layout"). */
export type EntryKind = "manifest" | "bundle" | "lfs" | "dependency" | "restore_script" | "other";

/** sha256 of zero bytes: the `bundle.sha256` of an archive whose bundle is empty (absent). */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** The kind of the entry at `path`. */
export function entryKind(path: string): EntryKind {
  if (path === "manifest.json") return "manifest";
  if (path === "repo.bundle") return "bundle";
  if (path.startsWith("lfs/")) return "lfs";
  if (path.startsWith("dependencies/")) return "dependency";
  if (path.startsWith("restore-scripts/")) return "restore_script";
  return "other";
}

/** The value `manifest_sha256` holds while the manifest is hashed. */
export const SEAL_PLACEHOLDER = "0".repeat(64);

/**
 * Seals serialized manifest text written with `manifest_sha256` set to {@link SEAL_PLACEHOLDER}:
 * replaces the placeholder with the sha256 of the text. Throws `TypeError` unless the placeholder
 * occurs exactly once.
 */
export function sealManifest(text: string): string {
  const quoted = `"${SEAL_PLACEHOLDER}"`;
  const at = text.indexOf(quoted);
  if (at === -1 || text.indexOf(quoted, at + 1) !== -1) {
    throw new TypeError("Cannot seal manifest: manifest_sha256 placeholder must occur exactly once");
  }
  const digest = createHash("sha256").update(text).digest("hex");
  return text.slice(0, at + 1) + digest + text.slice(at + 1 + SEAL_PLACEHOLDER.length);
}

function checkSeal(bytes: Uint8Array, value: string, fail: Fail): void {
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
  const quoted = `"${value}"`;
  const at = text.indexOf(quoted);
  if (at === -1 || text.indexOf(quoted, at + 1) !== -1) throw fail("has a malformed manifest_sha256 seal");
  const unsealed = text.slice(0, at + 1) + SEAL_PLACEHOLDER + text.slice(at + 1 + value.length);
  if (createHash("sha256").update(unsealed).digest("hex") !== value) {
    throw fail("sha256 mismatch (its manifest_sha256 seal does not match its content)");
  }
}

/** A manifest checked for internal consistency, with lookups the verifier needs. */
export interface ManifestPlan {
  manifest: Manifest;
  /** Listed entries by path. */
  files: Map<string, FileEntry>;
  /** Directories that may appear as (empty) directory entries: ancestors of listed files. */
  directories: Set<string>;
  /** Sum of listed entry sizes. */
  totalBytes: number;
}

const MANIFEST = "manifest.json";

/**
 * Parses manifest.json bytes and checks them against format v1: JSON, schema (zod), then the rules the
 * schema cannot express — safe unique paths, the bundle listed exactly when not empty and with the
 * same hash, every LFS object listed at its path with sha256 equal to its oid and no other LFS entry,
 * dependency files listed, valid ref names. Throws {@link ArchiveFormatError} naming `manifest.json`.
 */
export function parseManifest(bytes: Uint8Array): ManifestPlan {
  const fail = (why: string) => new ArchiveFormatError(`manifest.json ${why}`, { entry: MANIFEST });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch {
    throw fail("is not valid UTF-8 JSON");
  }
  const version = (json as { format_version?: unknown })?.format_version;
  if (typeof version === "number" && version !== 1) {
    throw fail(`has format_version ${version}; this repo-cloner reads format 1 (use a newer repo-cloner)`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.map((p) => typeof p === "number" ? `[${p}]` : `.${String(p)}`).join("").replace(
      /^\./,
      "",
    );
    throw fail(`does not match format v1: ${where || "(top level)"}: ${issue.message}`);
  }
  const manifest = parsed.data;
  if (manifest.manifest_sha256 !== undefined) checkSeal(bytes, manifest.manifest_sha256, fail);
  const files = new Map<string, FileEntry>();
  const keys = new Map<string, string>();
  const directories = new Set<string>();
  let totalBytes = 0;
  for (const f of manifest.files) {
    const problem = entryPathProblem(f.path);
    if (problem) throw fail(`lists an unsafe path ${JSON.stringify(f.path)}: ${problem}`);
    if (f.path === MANIFEST) throw fail("lists itself");
    const key = collisionKey(f.path);
    const earlier = keys.get(key);
    if (earlier !== undefined) {
      throw fail(
        `lists ${JSON.stringify(f.path)} twice${
          earlier === f.path ? "" : ` (as ${JSON.stringify(earlier)})`
        }`,
      );
    }
    keys.set(key, f.path);
    files.set(f.path, f);
    for (const dir of ancestorsOf(f.path)) directories.add(dir);
    totalBytes += f.size;
  }
  for (const dir of directories) {
    if (keys.has(collisionKey(dir))) {
      throw fail(`lists ${JSON.stringify(dir)} as both a file and a directory`);
    }
  }
  if (manifest.type === "full" && manifest.base !== null) throw fail("is a full archive with a base archive");
  if (manifest.type === "incremental" && manifest.base === null) {
    throw fail("is an incremental archive without a base archive");
  }
  checkBundleField(manifest, files, fail);
  checkIncrementalFields(manifest, fail);
  checkLfs(manifest, files, fail);
  checkDependencies(manifest, files, fail);
  checkRefs(manifest, fail);
  return { manifest, files, directories, totalBytes };
}

type Fail = (why: string) => ArchiveFormatError;

function checkBundleField(m: Manifest, files: Map<string, FileEntry>, fail: Fail): void {
  const listed = files.get(m.bundle.path);
  if (m.bundle.empty) {
    // Nothing to bundle: repo.bundle is absent, or listed as a zero-byte entry.
    if (listed && (listed.size !== 0 || listed.sha256 !== EMPTY_SHA256)) {
      throw fail("marks the bundle empty but lists a non-empty repo.bundle");
    }
    if (m.bundle.size !== 0 || m.bundle.sha256 !== EMPTY_SHA256) {
      throw fail("marks the bundle empty but gives it a size or a non-empty sha256");
    }
    return;
  }
  if (!listed) throw fail("does not list repo.bundle");
  if (listed.sha256 !== m.bundle.sha256 || listed.size !== m.bundle.size) {
    throw fail("gives repo.bundle a different sha256 or size in bundle and files");
  }
  if (m.bundle.size === 0) throw fail("lists an empty repo.bundle without marking the bundle empty");
  if (m.type === "full" && m.base !== null) throw fail("is a full archive with a base archive");
  if (m.type === "incremental" && m.base === null) {
    throw fail("is an incremental archive without a base archive");
  }
}

function checkIncrementalFields(m: Manifest, fail: Fail): void {
  const inherits = m.lfs.inherited.length > 0 ||
    Object.values(m.dependencies).some((d) => d.inherited.length > 0);
  if (m.type === "full" && (m.deleted_refs.length > 0 || inherits)) {
    throw fail("is a full archive with deleted or inherited entries (only incrementals have them)");
  }
  const deleted = new Set<string>();
  for (const name of m.deleted_refs) {
    if (deleted.has(name)) throw fail(`lists deleted ref ${JSON.stringify(name)} twice`);
    if (Object.hasOwn(m.refs, name)) throw fail(`lists ${JSON.stringify(name)} as both a ref and deleted`);
    deleted.add(name);
  }
  const carried = new Set(m.lfs.objects.map((o) => o.oid));
  const inherited = new Set<string>();
  for (const o of m.lfs.inherited) {
    if (inherited.has(o.oid) || carried.has(o.oid)) {
      throw fail(`lists LFS object ${o.oid} twice (carried or inherited)`);
    }
    inherited.add(o.oid);
  }
  if (m.shallow && new Set(m.shallow.commits).size !== m.shallow.commits.length) {
    throw fail("lists a shallow boundary commit twice");
  }
}

function checkLfs(m: Manifest, files: Map<string, FileEntry>, fail: Fail): void {
  const oids = new Set<string>();
  for (const o of m.lfs.objects) {
    if (oids.has(o.oid)) throw fail(`lists LFS object ${o.oid} twice`);
    oids.add(o.oid);
    const entry = files.get(lfsEntryPath(o.oid));
    if (!entry) throw fail(`lists LFS object ${o.oid} but not its file ${lfsEntryPath(o.oid)}`);
    if (entry.sha256 !== o.oid || entry.size !== o.size) {
      throw fail(`lists LFS object ${o.oid} with a sha256 or size that does not match its oid`);
    }
  }
  for (const path of files.keys()) {
    if (entryKind(path) !== "lfs") continue;
    const oid = path.slice(path.lastIndexOf("/") + 1);
    if (!oids.has(oid) || lfsEntryPath(oid) !== path) {
      throw fail(`lists ${JSON.stringify(path)} which is not an LFS object`);
    }
  }
}

function checkDependencies(m: Manifest, files: Map<string, FileEntry>, fail: Fail): void {
  for (const [ecosystem, dep] of Object.entries(m.dependencies)) {
    const inherited = new Set<string>();
    for (const f of dep.inherited) {
      const problem = entryPathProblem(f.path);
      if (problem) throw fail(`lists an unsafe inherited path ${JSON.stringify(f.path)}: ${problem}`);
      if (!f.path.startsWith(`dependencies/${ecosystem}/`) || !dep.files.includes(f.path)) {
        throw fail(`lists inherited ${JSON.stringify(f.path)} outside the ${ecosystem} dependency files`);
      }
      if (files.has(f.path) || inherited.has(f.path)) {
        throw fail(`lists dependency file ${JSON.stringify(f.path)} as both carried and inherited`);
      }
      inherited.add(f.path);
    }
    for (const path of dep.files) {
      if (!files.has(path) && !inherited.has(path)) {
        throw fail(`lists dependency file ${JSON.stringify(path)} (${ecosystem}) but not in files`);
      }
    }
  }
  for (const path of files.keys()) {
    if (entryKind(path) !== "dependency") continue;
    const ecosystem = path.split("/")[1];
    if (!Object.hasOwn(m.dependencies, ecosystem) || path.split("/").length < 3) {
      throw fail(`lists ${JSON.stringify(path)} under no known dependency ecosystem`);
    }
  }
}

function checkRefs(m: Manifest, fail: Fail): void {
  const lengths = new Set<number>();
  for (const [name, oid] of Object.entries(m.refs)) {
    if (name === "HEAD" || !isValidRefName(name)) {
      throw fail(`lists an invalid ref name ${JSON.stringify(name)}`);
    }
    lengths.add(oid.length);
  }
  for (const name of m.deleted_refs) {
    if (name === "HEAD" || !isValidRefName(name)) {
      throw fail(`lists an invalid deleted ref ${JSON.stringify(name)}`);
    }
  }
  for (const oid of m.bundle.prerequisites) lengths.add(oid.length);
  for (const oid of m.shallow?.commits ?? []) lengths.add(oid.length);
  if (m.source.head) lengths.add(m.source.head.length);
  if (lengths.size > 1) throw fail("mixes sha1 and sha256 object ids");
}

/**
 * Checks a verified bundle against the manifest: object ids of the manifest's hash; the bundle's refs
 * (HEAD aside) equal `manifest.refs` for a full archive, or are a subset of it for an incremental one
 * (git lists only what it was asked to bundle); the bundle's HEAD, when present, equals `source.head`;
 * prerequisites equal `bundle.prerequisites`; no `@filter` (partial bundles are not format v1).
 */
export function checkBundleAgainstManifest(bundle: BundleSummary, m: Manifest): void {
  const fail = (why: string) =>
    new ArchiveFormatError(`entry "repo.bundle" ${why}`, { entry: "repo.bundle" });
  const { header } = bundle;
  if (header.filter !== undefined) {
    throw fail(`is a partial bundle (filter ${header.filter}), not allowed in format v1`);
  }
  const sample = Object.values(m.refs)[0] ?? m.bundle.prerequisites[0] ?? m.source.head;
  if (sample && sample.length !== (header.objectFormat === "sha1" ? 40 : 64)) {
    throw fail(`uses ${header.objectFormat} object ids but the manifest does not`);
  }
  const bundleRefs = new Map<string, string>();
  for (const ref of header.refs) {
    if (ref.name === "HEAD") {
      if (m.source.head !== null && ref.oid !== m.source.head) {
        throw fail("HEAD differs from the manifest's source.head");
      }
      continue;
    }
    bundleRefs.set(ref.name, ref.oid);
  }
  for (const [name, oid] of bundleRefs) {
    if (!Object.hasOwn(m.refs, name)) {
      throw fail(`carries ref ${JSON.stringify(name)} that the manifest does not list`);
    }
    if (m.refs[name] !== oid) throw fail(`ref ${JSON.stringify(name)} differs from the manifest`);
  }
  if (m.type === "full") {
    for (const name of Object.keys(m.refs)) {
      if (!bundleRefs.has(name)) throw fail(`lacks ref ${JSON.stringify(name)} listed in the manifest`);
    }
  }
  const want = [...m.bundle.prerequisites].sort();
  const got = header.prerequisites.map((p) => p.oid).sort();
  if (want.length !== got.length || want.some((oid, i) => oid !== got[i])) {
    throw fail("prerequisites differ from the manifest's bundle.prerequisites");
  }
}
