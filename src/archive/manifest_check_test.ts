import assert from "node:assert/strict";
import { type ArchiveParts, manifestText, sampleParts } from "../../tests/support/make_archive.ts";
import { ArchiveFormatError } from "./archive_format_error.ts";
import type { BundleSummary } from "./bundle_check.ts";
import type { Manifest } from "./manifest.ts";
import { checkBundleAgainstManifest, parseManifest, sealManifest } from "./manifest_check.ts";

const base = sampleParts();
const enc = new TextEncoder();

function edited(edit: (m: Manifest) => void, seal = true): Uint8Array {
  const m = structuredClone(base.manifest);
  edit(m);
  return enc.encode(manifestText(m, seal));
}

function refuses(bytes: Uint8Array, re: RegExp): void {
  assert.throws(() => parseManifest(bytes), (e: unknown) => {
    assert.ok(e instanceof ArchiveFormatError);
    assert.equal(e.entry, "manifest.json");
    assert.match(e.reason, re);
    return true;
  });
}

Deno.test("parseManifest() accepts sealed and unsealed valid manifests", () => {
  const sealed = parseManifest(edited(() => {}));
  assert.equal(sealed.files.size, base.entries.length);
  assert.ok(sealed.directories.has("lfs/objects"));
  assert.equal(sealed.totalBytes, base.entries.reduce((n, e) => n + e.content.length, 0));
  assert.equal(parseManifest(edited(() => {}, false)).manifest.manifest_sha256, undefined);
});

Deno.test("sealManifest() / the seal: any changed byte is caught", () => {
  const text = manifestText(base.manifest);
  for (const at of [10, text.indexOf("git.example"), text.length - 5]) {
    const b = enc.encode(text);
    b[at] = b[at] === 0x61 ? 0x62 : 0x61;
    assert.throws(() => parseManifest(b), /seal|JSON|match format v1/);
  }
  assert.throws(() => sealManifest("{}"), /placeholder must occur exactly once/);
});

Deno.test("parseManifest() refuses inconsistent manifests", async (t) => {
  const lfsOid = base.manifest.lfs.objects[0].oid;
  const cases: [string, Uint8Array, RegExp][] = [
    ["BOM", new Uint8Array([0xef, 0xbb, 0xbf, ...edited(() => {})]), /not valid UTF-8 JSON/],
    ["unknown key", edited((m) => Object.assign(m, { extra: 1 })), /does not match format v1: \(top level\)/],
    [
      "bad sha256",
      edited((m) => (m.files[0].sha256 = "XYZ")),
      /files\[0\]\.sha256: must be 64 lowercase hex/,
    ],
    [
      "lists itself",
      edited((m) => m.files.push({ path: "manifest.json", sha256: lfsOid, size: 1 })),
      /lists itself/,
    ],
    ["duplicate path", edited((m) => m.files.push({ ...m.files[1] })), /lists "[^"]+" twice/],
    [
      "colliding path",
      edited((m) => m.files.push({ ...m.files[1], path: m.files[1].path.toUpperCase() })),
      /twice \(as/,
    ],
    [
      "file and directory",
      edited((m) => m.files.push({ path: "lfs/objects", sha256: lfsOid, size: 1 })),
      /both a file and a directory/,
    ],
    [
      "full with base",
      edited((m) => (m.base = { archive_id: "abcdef0123", sha256: lfsOid, refs_sha256: lfsOid })),
      /full archive with a base/,
    ],
    [
      "incremental without base",
      edited((m) => (m.type = "incremental")),
      /incremental archive without a base/,
    ],
    [
      "bundle not listed",
      edited((m) => (m.files = m.files.filter((f) => f.path !== "repo.bundle"))),
      /does not list repo\.bundle/,
    ],
    ["bundle hash differs", edited((m) => (m.bundle.sha256 = lfsOid)), /different sha256 or size/],
    [
      "LFS object not listed",
      edited((m) => (m.files = m.files.filter((f) => !f.path.startsWith("lfs/")))),
      /but not its file/,
    ],
    ["LFS size differs", edited((m) => (m.lfs.objects[0].size += 1)), /does not match its oid/],
    [
      "LFS listed twice",
      edited((m) => m.lfs.objects.push(m.lfs.objects[0])),
      /lists LFS object [0-9a-f]+ twice/,
    ],
    [
      "stray lfs file",
      edited((m) => m.files.push({ path: "lfs/objects/x", sha256: lfsOid, size: 1 })),
      /which is not an LFS object/,
    ],
    [
      "dependency file unlisted",
      edited((m) => m.dependencies.python.files.push("dependencies/python/ghost")),
      /dependency file "dependencies\/python\/ghost"/,
    ],
    [
      "unknown ecosystem dir",
      edited((m) => m.files.push({ path: "dependencies/ruby/Gemfile", sha256: lfsOid, size: 1 })),
      /no known dependency ecosystem/,
    ],
    ["bad ref name", edited((m) => (m.refs["refs/heads/a..b"] = m.source.head!)), /invalid ref name/],
    ["HEAD in refs", edited((m) => (m.refs["HEAD"] = m.source.head!)), /invalid ref name "HEAD"/],
    ["mixed oid lengths", edited((m) => (m.refs["refs/heads/x"] = "a".repeat(64))), /mixes sha1 and sha256/],
    [
      "full with deleted refs",
      edited((m) => m.deleted_refs.push("refs/heads/gone")),
      /full archive with deleted or inherited/,
    ],
    [
      "full with inherited LFS",
      edited((m) => m.lfs.inherited.push({ oid: "c".repeat(64), size: 1 })),
      /full archive with deleted or inherited/,
    ],
    [
      "deleted ref still listed",
      edited((m) => {
        toIncremental(m);
        m.deleted_refs.push(Object.keys(m.refs)[0]);
      }),
      /as both a ref and deleted/,
    ],
    [
      "LFS object carried and inherited",
      edited((m) => {
        toIncremental(m);
        m.lfs.inherited.push({ ...m.lfs.objects[0] });
      }),
      /twice \(carried or inherited\)/,
    ],
    [
      "inherited dependency file also carried",
      edited((m) => {
        toIncremental(m);
        const f = m.files.find((f) => f.path.startsWith("dependencies/python/"))!;
        m.dependencies.python.inherited.push({ ...f });
      }),
      /as both carried and inherited/,
    ],
    [
      "inherited dependency file of no ecosystem list",
      edited((m) => {
        toIncremental(m);
        m.dependencies.python.inherited.push({ path: "dependencies/python/x.whl", sha256: lfsOid, size: 1 });
      }),
      /outside the python dependency files/,
    ],
    [
      "shallow boundary twice",
      edited((m) => (m.shallow = { depth: 1, commits: [m.source.head!, m.source.head!] })),
      /shallow boundary commit twice/,
    ],
  ];
  for (const [name, bytes, re] of cases) await t.step(name, () => refuses(bytes, re));
});

function toIncremental(m: Manifest): void {
  m.type = "incremental";
  m.base = { archive_id: "abcdef01", sha256: "1".repeat(64), refs_sha256: "2".repeat(64) };
}

Deno.test("parseManifest() accepts an incremental's inherited files and a shallow boundary", () => {
  const m = parseManifest(edited((m) => {
    toIncremental(m);
    const f = m.files.find((f) => f.path.startsWith("dependencies/python/"))!;
    m.files = m.files.filter((x) => x !== f);
    m.dependencies.python.inherited.push(f);
    m.lfs.inherited.push({ oid: "c".repeat(64), size: 9 });
    m.deleted_refs.push("refs/heads/gone");
    m.shallow = { depth: 3, commits: [m.source.head!] };
  })).manifest;
  assert.equal(m.dependencies.python.inherited.length, 1);
  assert.equal(m.shallow?.commits.length, 1);
});

function summary(p: ArchiveParts, edit: (s: BundleSummary) => void = () => {}): BundleSummary {
  const refs = Object.entries(p.manifest.refs).map(([name, oid]) => ({ name, oid }));
  const s: BundleSummary = {
    header: {
      version: 2,
      objectFormat: "sha1",
      prerequisites: [],
      refs: [...refs, { name: "HEAD", oid: p.manifest.source.head! }],
      length: 10,
    },
    pack: { version: 2, objects: 3, bytes: 100 },
    bytes: 110,
  };
  edit(s);
  return s;
}

Deno.test("checkBundleAgainstManifest() ties the bundle to the manifest", async (t) => {
  const m = base.manifest;
  await t.step("equal", () => checkBundleAgainstManifest(summary(base), m));
  const cases: [string, BundleSummary, Manifest, RegExp][] = [
    ["missing ref (full)", summary(base, (s) => s.header.refs.shift()), m, /lacks ref/],
    [
      "extra ref",
      summary(base, (s) => s.header.refs.push({ name: "refs/heads/zzz", oid: m.source.head! })),
      m,
      /carries ref "refs\/heads\/zzz"/,
    ],
    ["HEAD differs", summary(base, (s) => (s.header.refs.at(-1)!.oid = "f".repeat(40))), m, /HEAD differs/],
    [
      "prerequisites differ",
      summary(base, (s) => s.header.prerequisites.push({ oid: "e".repeat(40), comment: "" })),
      m,
      /prerequisites differ/,
    ],
    ["filter", summary(base, (s) => (s.header.filter = "blob:none")), m, /partial bundle/],
    [
      "sha256 bundle, sha1 manifest",
      summary(base, (s) => (s.header.objectFormat = "sha256")),
      m,
      /uses sha256 object ids/,
    ],
  ];
  for (const [name, s, man, re] of cases) {
    await t.step(name, () => assert.throws(() => checkBundleAgainstManifest(s, man), re));
  }
  await t.step("incremental: a subset of the refs is fine", () => {
    const inc = {
      ...structuredClone(m),
      type: "incremental" as const,
      base: { archive_id: "abcdef01", sha256: "0".repeat(64), refs_sha256: "0".repeat(64) },
    };
    checkBundleAgainstManifest(summary(base, (s) => s.header.refs.splice(0, 2)), inc);
  });
});
