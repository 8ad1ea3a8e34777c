import { entryPathProblem } from "./entry_path.ts";
import { SEAL_PLACEHOLDER, sealManifest } from "./manifest_check.ts";
import { type Manifest, manifestSchema } from "./manifest.ts";

/**
 * Serialises a manifest as `manifest.json`: standard two-space JSON, except that each `files` entry
 * sits on one line as `    {"path":"…","sha256":"…","size":N},`, so that `restore.sh` can turn the
 * list into a `sha256sum -c` input with one `sed` expression. The text is plain JSON; any JSON reader
 * parses it. The manifest is validated against the schema first, and sealed: `manifest_sha256` holds
 * the sha256 of the text with that value set to 64 zeros (see `sealManifest`).
 * @throws TypeError when the manifest does not match the schema or a path could not be checked by
 *   `sha256sum` (`"` or a backslash in it) or is not a safe relative path.
 */
export function serializeManifest(manifest: Manifest): string {
  const parsed = manifestSchema.safeParse({ ...manifest, manifest_sha256: SEAL_PLACEHOLDER });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TypeError(`Cannot write manifest: key "${issue.path.join(".")}": ${issue.message}`);
  }
  const { files, ...rest } = parsed.data;
  for (const f of files) {
    const problem = entryPathProblem(f.path) ?? (f.path.includes('"') ? "double quote in path" : undefined);
    if (problem) throw new TypeError(`Cannot write manifest: entry "${f.path}": ${problem}`);
  }
  const head = JSON.stringify(rest, null, 2).replace(/\n}$/, "");
  const lines = files.map((f) => "    " + JSON.stringify({ path: f.path, sha256: f.sha256, size: f.size }));
  return sealManifest(`${head},\n  "files": [\n${lines.join(",\n")}\n  ]\n}\n`);
}
