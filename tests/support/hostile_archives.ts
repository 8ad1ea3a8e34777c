/**
 * Builders of hostile and broken archives, each with the attack it represents and the outcome a
 * verifier must report (exit code and the clause naming the cause). Built in memory from a real valid
 * archive (make_archive.ts) and raw tar blocks (raw_tar.ts); no binary blobs are committed.
 */
import { gzipSync } from "node:zlib";
import { lfsEntryPath } from "../../src/archive/manifest.ts";
import { type ArchiveParts, manifestText, refreshHashes, sampleParts, sha256 } from "./make_archive.ts";
import { concat, END_OF_ARCHIVE, rawFile, rawHeader, rawPax } from "./raw_tar.ts";
import { extraHostileCases } from "./hostile_extra.ts";
import { clone, entry, rawTar } from "./hostile_tar.ts";

/** One hostile case. */
export interface HostileCase {
  name: string;
  /** The attack or accident it represents. */
  attack: string;
  /** The archive file's bytes, or null for "the path does not exist", "dir" for a directory. */
  bytes: Uint8Array | null | "dir";
  /** Exit code of `archive verify`. */
  code: 2 | 3;
  /** What the one-line message must say. */
  message: RegExp;
  /**
   * True when the archive is internally consistent, so `archive verify` (which runs no git) accepts it
   * and only `archive restore` finds the attack; `restore` then says what restore reports.
   */
  verifies?: boolean;
  /** Exit code and message of `archive restore` when they differ from verify's. */
  restore?: { code: number; message: RegExp };
}

const enc = new TextEncoder();

/** Offset of an entry's data in a raw tar (walks ustar headers; no pax in these tars). */
function dataOffset(tar: Uint8Array, path: string): number {
  let at = 0;
  while (at + 512 <= tar.length) {
    const h = tar.subarray(at, at + 512);
    const name = new TextDecoder().decode(h.subarray(0, h.subarray(0, 100).indexOf(0)));
    const size = parseInt(new TextDecoder().decode(h.subarray(124, 135)), 8);
    if (name === path) return at + 512;
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`no entry ${path}`);
}

function flipInEntry(tar: Uint8Array, path: string, offsetInEntry: number): Uint8Array {
  const out = new Uint8Array(tar);
  out[dataOffset(tar, path) + offsetInEntry] ^= 0x20;
  return gzipSync(out);
}

/** Builds every hostile case from one fresh sample repository. */
export function hostileCases(): { valid: Uint8Array; parts: ArchiveParts; cases: HostileCase[] } {
  const base = sampleParts();
  const tar = rawTar(base);
  const valid = gzipSync(tar);
  const bundle = entry(base, "repo.bundle");
  const lfs = entry(base, "lfs/");
  const bundleSize = bundle.content.length;
  const headerLength = new TextDecoder().decode(bundle.content).indexOf("\n\n") + 2;
  const mismatch = (path: string) =>
    new RegExp(`entry "${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}" sha256 mismatch`);
  const cases: HostileCase[] = [];
  const add = (name: string, attack: string, bytes: HostileCase["bytes"], message: RegExp, code: 2 | 3 = 3) =>
    cases.push({ name, attack, bytes, message, code });

  // One flipped byte in every entry kind (tar level, re-gzipped: the gzip CRC is consistent).
  const manifestUrlAt = manifestText(base.manifest).indexOf("git.example.invalid");
  add(
    "flip-manifest",
    "bit rot in manifest.json (a field no entry hash covers)",
    flipInEntry(tar, "manifest.json", manifestUrlAt),
    /manifest\.json sha256 mismatch \(its manifest_sha256 seal/,
  );
  add(
    "flip-bundle-header",
    "bit rot in the bundle's ref list",
    flipInEntry(tar, "repo.bundle", 20),
    mismatch("repo.bundle"),
  );
  add(
    "flip-bundle-pack",
    "bit rot inside the pack",
    flipInEntry(tar, "repo.bundle", headerLength + Math.floor((bundleSize - headerLength) / 2)),
    mismatch("repo.bundle"),
  );
  add(
    "flip-lfs-object",
    "bit rot in an LFS object",
    flipInEntry(tar, lfs.path, 10),
    /entry "lfs\/objects\/[0-9a-f/]+" sha256 mismatch \(LFS object content does not match its oid\)/,
  );
  add(
    "flip-restore-script",
    "a changed restore script",
    flipInEntry(tar, "restore-scripts/restore.sh", 12),
    mismatch("restore-scripts/restore.sh"),
  );
  add(
    "flip-dependency",
    "a changed dependency package",
    flipInEntry(tar, "dependencies/python/requirements.txt", 1),
    mismatch("dependencies/python/requirements.txt"),
  );

  // gzip layer.
  const crc = new Uint8Array(valid);
  crc[crc.length - 8] ^= 0x01;
  add("gzip-bad-crc", "bit rot in the gzip CRC-32", crc, /gzip data is corrupt \(CRC mismatch\)/);
  const isize = new Uint8Array(valid);
  isize[isize.length - 1] ^= 0x01;
  add("gzip-bad-length", "bit rot in the gzip length trailer", isize, /gzip data is corrupt/);
  add("truncated", "an interrupted copy", valid.subarray(0, Math.floor(valid.length * 0.6)), /truncated/);
  add("truncated-tail", "a copy missing its last bytes", valid.subarray(0, valid.length - 3), /truncated/);
  add(
    "trailing-garbage",
    "bytes appended after the gzip stream",
    concat(valid, enc.encode("GARBAGE!")),
    /trailing data after the gzip stream/,
  );
  add(
    "trailing-zeros",
    "zero padding appended after the gzip stream",
    concat(valid, new Uint8Array(100)),
    /100 bytes of trailing data/,
  );
  add(
    "not-an-archive",
    "a random file given as the archive",
    enc.encode("%PDF-1.7 this is not an archive\n"),
    /not a gzip tar archive \(no gzip signature\)/,
  );
  add("empty-file", "a zero-byte file", new Uint8Array(0), /not a gzip tar archive \(the file is empty\)/);
  add(
    "gzip-not-tar",
    "a gzip file that holds no tar",
    gzipSync(enc.encode("hello world\n".repeat(100))),
    /tar header at byte 0 has a bad checksum/,
  );
  add("missing-path", "a path that does not exist", null, /no such file/, 2);
  add("directory-path", "a directory given as the archive", "dir", /is a directory/, 2);

  // Manifest problems.
  add(
    "missing-manifest",
    "manifest.json left out",
    gzipSync(rawTar(base, { manifest: null })),
    /first entry is "repo\.bundle", not manifest\.json/,
  );
  add(
    "manifest-not-first",
    "manifest.json after other entries",
    gzipSync(
      concat(
        rawFile("repo.bundle", bundle.content),
        rawFile("manifest.json", manifestText(base.manifest)),
        END_OF_ARCHIVE,
      ),
    ),
    /first entry is "repo\.bundle", not manifest\.json/,
  );
  add(
    "manifest-not-json",
    "a manifest that is not JSON",
    gzipSync(rawTar(base, { manifest: "{ not json" })),
    /manifest\.json is not valid UTF-8 JSON/,
  );
  {
    const p = clone(base);
    (p.manifest as unknown as { format_version: number }).format_version = 2;
    add(
      "manifest-future-version",
      "an archive from a newer format",
      gzipSync(rawTar(p)),
      /format_version 2; this repo-cloner reads format 1/,
    );
  }
  {
    const p = clone(base);
    p.manifest.files.find((f) => f.path === "restore-scripts/restore.sh")!.sha256 = sha256(
      enc.encode("other"),
    );
    add(
      "manifest-hash-changed",
      "a manifest whose listed hash was changed (and resealed)",
      gzipSync(rawTar(p)),
      mismatch("restore-scripts/restore.sh"),
    );
  }
  {
    const p = clone(base);
    p.manifest.files.push({ path: "../outside.txt", sha256: sha256(new Uint8Array()), size: 0 });
    add(
      "manifest-unsafe-path",
      "a manifest listing a path outside the archive",
      gzipSync(rawTar(p)),
      /manifest\.json lists an unsafe path "\.\.\/outside\.txt"/,
    );
  }
  {
    const p = clone(base);
    const e = p.entries.find((x) => x.path === "repo.bundle")!;
    e.content[headerLength + 100] ^= 0x01;
    refreshHashes(p);
    add(
      "bundle-rehashed-corrupt-pack",
      "a corrupt pack with the manifest re-hashed to match (git bundle verify passes it)",
      gzipSync(rawTar(p)),
      /entry "repo\.bundle" is not a valid git bundle: pack checksum mismatch/,
    );
  }
  {
    const p = clone(base);
    p.manifest.refs["refs/heads/main"] = "0".repeat(39) + "1";
    add(
      "bundle-refs-differ",
      "a manifest whose refs disagree with the bundle",
      gzipSync(rawTar(p)),
      /ref "refs\/heads\/main" differs from the manifest/,
    );
  }
  {
    const p = clone(base);
    p.entries.find((x) => x.path === lfs.path)!.content[0] ^= 0x01;
    refreshHashes(p);
    add(
      "lfs-hash-not-oid",
      "an LFS object whose sha256 is not its oid (manifest re-hashed)",
      gzipSync(rawTar(p)),
      /lists LFS object [0-9a-f]{64} with a sha256 or size that does not match its oid/,
    );
  }

  // Entry set problems.
  add(
    "extra-entry",
    "an unlisted file smuggled in",
    gzipSync(rawTar(base, { after: [rawFile("extra.txt", "surprise")] })),
    /entry "extra\.txt" is not listed in the manifest/,
  );
  add(
    "missing-entry",
    "a listed file left out",
    gzipSync(rawTar(base, { entries: base.entries.filter((e) => e.path !== "restore-scripts/restore.sh") })),
    /entry "restore-scripts\/restore\.sh" is listed in the manifest but missing/,
  );
  add(
    "duplicate-entry",
    "the same entry twice (last one wins in most extractors)",
    gzipSync(rawTar(base, { after: [rawFile("repo.bundle", bundle.content)] })),
    /entry "repo\.bundle" appears more than once/,
  );
  add(
    "case-collision",
    "two names equal on a case-insensitive disk",
    gzipSync(rawTar(base, { after: [rawFile("Repo.Bundle", bundle.content)] })),
    /entry "Repo\.Bundle" collides with "repo\.bundle"/,
  );
  add(
    "unlisted-directory",
    "a directory entry holding nothing listed",
    gzipSync(rawTar(base, { before: [rawHeader({ name: "evil/", type: "5" })] })),
    /directory entry "evil" holds no listed file/,
  );
  add(
    "data-after-end",
    "an entry hidden after the end-of-archive marker",
    gzipSync(concat(rawTar(base), rawFile("hidden.txt", "x"))),
    /data after the tar end-of-archive marker/,
  );
  add(
    "no-end-marker",
    "a tar cut at an entry boundary",
    gzipSync(rawTar(base, { end: false })),
    /without an end-of-archive marker/,
  );

  // Path traversal and special files.
  add(
    "dot-dot-path",
    "an entry that climbs out of the output directory",
    gzipSync(rawTar(base, { before: [rawFile("../../escape.txt", "x")] })),
    /entry "\.\.\/\.\.\/escape\.txt" has an unsafe path: "\.\." path segment/,
  );
  add(
    "absolute-path",
    "an entry with an absolute path",
    gzipSync(rawTar(base, { before: [rawFile("/tmp/rc-escape.txt", "x")] })),
    /has an unsafe path: absolute path/,
  );
  add(
    "pax-dot-dot-path",
    "a pax path that climbs out",
    gzipSync(rawTar(base, { before: [rawPax([["path", "lfs/../../../escape"]]), rawFile("innocent", "x")] })),
    /has an unsafe path: "\.\." path segment/,
  );
  add(
    "symlink-outside",
    "a symlink pointing outside, to be written through later",
    gzipSync(rawTar(base, { before: [rawHeader({ name: "lfs", type: "2", linkname: "../../../../tmp" })] })),
    /entry "lfs" is a symbolic link to "\.\.\/\.\.\/\.\.\/\.\.\/tmp"/,
  );
  add(
    "hardlink-outside",
    "a hard link to a file outside",
    gzipSync(rawTar(base, { before: [rawHeader({ name: "passwd", type: "1", linkname: "/etc/passwd" })] })),
    /entry "passwd" is a hard link to "\/etc\/passwd"/,
  );
  add(
    "char-device",
    "a device node",
    gzipSync(rawTar(base, { before: [rawHeader({ name: "null", type: "3" })] })),
    /is a character device/,
  );
  add(
    "block-device",
    "a block device node",
    gzipSync(rawTar(base, { before: [rawHeader({ name: "sda", type: "4" })] })),
    /is a block device/,
  );
  add(
    "fifo",
    "a FIFO that would block the reader",
    gzipSync(rawTar(base, { before: [rawHeader({ name: "fifo", type: "6" })] })),
    /is a FIFO/,
  );
  add(
    "gnu-long-name",
    "a GNU long-name header (outside POSIX ustar/pax)",
    gzipSync(
      rawTar(base, { before: [rawHeader({ name: "././@LongLink", type: "L", size: 0, magic: "gnu" })] }),
    ),
    /GNU tar header|GNU long-name/,
  );

  // Size claims.
  const bigField = new Uint8Array(12);
  bigField[0] = 0x80;
  bigField[6] = 0x01; // 2^40
  add(
    "huge-size-claim",
    "an entry header claiming 1 TiB",
    gzipSync(
      concat(
        rawFile("manifest.json", manifestText(base.manifest)),
        rawHeader({ name: "repo.bundle", sizeField: bigField }),
        bundle.content,
      ),
    ),
    new RegExp(
      `entry "repo\\.bundle" size mismatch \\(header claims 1099511627776 bytes, manifest lists ${bundleSize}\\)`,
    ),
  );
  add(
    "huge-manifest-claim",
    "a manifest header claiming 1 GiB",
    gzipSync(concat(rawHeader({ name: "manifest.json", size: 1 << 30 }), new Uint8Array(4096))),
    /manifest\.json claims 1073741824 bytes/,
  );
  add(
    "gzip-bomb",
    "64 MiB of zero blocks after the entries (a gzip bomb)",
    gzipSync(concat(rawTar(base), new Uint8Array(64 << 20))),
    /more than its manifest accounts for \(gzip bomb/,
  );
  cases.push(...extraHostileCases(base, { valid, tar }));
  return { valid, parts: base, cases };
}

/** The LFS path of an oid (re-exported for tests). */
export { lfsEntryPath };
