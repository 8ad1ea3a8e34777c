import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import tarStream from "tar-stream";
import {
  concat,
  END_OF_ARCHIVE,
  rawFile,
  rawHeader,
  rawPax,
  withChecksum,
} from "../../tests/support/raw_tar.ts";
import { tempDir } from "../../tests/support/binary.ts";
import { ArchiveFormatError } from "./archive_format_error.ts";
import { readTarEntries } from "./tar_reader.ts";

interface Read {
  path: string;
  type: string;
  size: number;
  content: string;
}

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function readAll(bytes: Uint8Array, chunk = 700): Promise<Read[]> {
  const out: Read[] = [];
  for await (const e of readTarEntries(chunked(bytes, chunk))) {
    const parts: Uint8Array[] = [];
    for await (const c of e.body()) parts.push(c.slice());
    out.push({
      path: e.path,
      type: e.type,
      size: e.size,
      content: new TextDecoder().decode(concat(...parts)),
    });
  }
  return out;
}

async function rejects(bytes: Uint8Array, re: RegExp): Promise<void> {
  await assert.rejects(readAll(bytes), (e: unknown) => {
    assert.ok(e instanceof ArchiveFormatError, `expected ArchiveFormatError, got ${e}`);
    assert.match(e.reason, re);
    return true;
  });
}

Deno.test("readTarEntries() reads what tar-stream writes, in any chunking", async (t) => {
  const pack = tarStream.pack();
  const chunks: Uint8Array[] = [];
  pack.on("data", (c) => chunks.push(c as Uint8Array));
  const ended = new Promise<void>((r) => pack.on("end", () => r()));
  const long = "dependencies/python/packages/" + "x".repeat(120) + ".whl";
  pack.entry({ name: "manifest.json" }, "{}");
  pack.entry({ name: "dir", type: "directory" });
  pack.entry({ name: long }, "long name via pax");
  pack.entry({ name: "lfs/objects/ab/cd/ü-non-ascii" }, "x".repeat(1500));
  pack.entry({ name: "empty" }, "");
  pack.finalize();
  await ended;
  const bytes = concat(...chunks);
  for (const size of [1, 511, 512, 513, 4096, bytes.length]) {
    await t.step(`chunk ${size}`, async () => {
      const got = await readAll(bytes, size);
      assert.deepEqual(got.map((e) => [e.path, e.type, e.size]), [
        ["manifest.json", "file", 2],
        ["dir", "directory", 0],
        [long, "file", 17],
        ["lfs/objects/ab/cd/ü-non-ascii", "file", 1500],
        ["empty", "file", 0],
      ]);
      assert.equal(got[3].content, "x".repeat(1500));
    });
  }
});

Deno.test("readTarEntries() reads GNU tar --format=ustar output (directories, record padding)", async () => {
  const dir = tempDir("rc-tar-");
  mkdirSync(join(dir, "src", "a"), { recursive: true });
  writeFileSync(join(dir, "src", "a", "f.txt"), "hello");
  execFileSync("tar", ["--format=ustar", "-cf", join(dir, "x.tar"), "-C", join(dir, "src"), "a"]);
  const got = await readAll(readFileSync(join(dir, "x.tar")));
  assert.deepEqual(got.map((e) => [e.path, e.type, e.content]), [["a", "directory", ""], [
    "a/f.txt",
    "file",
    "hello",
  ]]);
});

Deno.test("readTarEntries() refuses every non-regular entry type by name", async (t) => {
  const kinds: [string, RegExp][] = [
    ["1", /is a hard link to "\/etc\/passwd"/],
    ["2", /is a symbolic link to "\/etc\/passwd"/],
    ["3", /is a character device/],
    ["4", /is a block device/],
    ["6", /is a FIFO/],
    ["7", /is a contiguous file/],
    ["g", /is a pax global header/],
    ["L", /is a GNU long-name header/],
    ["K", /is a GNU long-link header/],
    ["S", /is a GNU sparse file/],
    ["Z", /unknown tar type "Z"/],
  ];
  for (const [type, re] of kinds) {
    await t.step(
      type,
      () => rejects(concat(rawHeader({ name: "evil", type, linkname: "/etc/passwd" }), END_OF_ARCHIVE), re),
    );
  }
});

Deno.test("readTarEntries() refuses unsafe paths in name, prefix and pax path", async (t) => {
  const cases: [string, Uint8Array, RegExp][] = [
    ["dot-dot", rawFile("../escape", "x"), /unsafe path: "\.\." path segment/],
    ["absolute", rawFile("/etc/cron.d/x", "x"), /unsafe path: absolute/],
    ["prefix", rawFile("x", "x", { prefix: "../.." }), /"\.\." path segment/],
    [
      "pax path",
      concat(rawPax([["path", "a/../../etc/passwd"]]), rawFile("innocent", "x")),
      /"\.\." path segment/,
    ],
    ["backslash", rawFile("a\\..\\b", "x"), /backslash/],
    ["control", rawFile("a\u0001b", "x"), /control character/],
    ["invalid utf-8", withChecksum(rawHeader({ name: "abc" }).fill(0xff, 0, 2)), /not valid UTF-8/],
  ];
  for (const [name, bytes, re] of cases) {
    await t.step(name, () => rejects(concat(bytes, END_OF_ARCHIVE), re));
  }
});

Deno.test("readTarEntries() refuses duplicates and case/Unicode collisions", async (t) => {
  await t.step(
    "exact duplicate",
    () => rejects(concat(rawFile("a", "1"), rawFile("a", "2"), END_OF_ARCHIVE), /"a" appears more than once/),
  );
  await t.step(
    "case",
    () =>
      rejects(
        concat(rawFile("Read.me", "1"), rawFile("read.ME", "2"), END_OF_ARCHIVE),
        /collides with "Read.me"/,
      ),
  );
  await t.step(
    "NFC/NFD",
    () => rejects(concat(rawFile("caf\u00e9", "1"), rawFile("cafe\u0301", "2"), END_OF_ARCHIVE), /collides/),
  );
  await t.step(
    "file and directory",
    () =>
      rejects(
        concat(rawFile("a", "1"), rawHeader({ name: "a/", type: "5" }), END_OF_ARCHIVE),
        /appears more than once/,
      ),
  );
});

Deno.test("readTarEntries() checks headers strictly", async (t) => {
  await t.step(
    "bad checksum",
    () => rejects(concat(rawFile("a", "1", { checksumDelta: 1 }), END_OF_ARCHIVE), /bad checksum/),
  );
  await t.step(
    "GNU magic",
    () => rejects(concat(rawFile("a", "1", { magic: "gnu" }), END_OF_ARCHIVE), /GNU tar header/),
  );
  await t.step(
    "no magic (v7)",
    () => rejects(concat(rawFile("a", "1", { magic: "none" }), END_OF_ARCHIVE), /not a POSIX ustar/),
  );
  await t.step("checksum field respelled", () => {
    const h = rawHeader({ name: "a", size: 1 });
    h[148] = 0x20; // "0" -> " ": same number, different bytes
    return rejects(concat(h, new Uint8Array(512), END_OF_ARCHIVE), /bad checksum/);
  });
  await t.step("garbage size", () => {
    const sizeField = new TextEncoder().encode("12x45678901\0");
    return rejects(concat(rawHeader({ name: "a", sizeField }), END_OF_ARCHIVE), /malformed numeric field/);
  });
  await t.step("negative base-256 size", () => {
    const sizeField = new Uint8Array(12).fill(0xff);
    return rejects(concat(rawHeader({ name: "a", sizeField }), END_OF_ARCHIVE), /malformed numeric field/);
  });
  await t.step(
    "directory with data",
    () =>
      rejects(
        concat(rawHeader({ name: "d/", type: "5", size: 5 }), END_OF_ARCHIVE),
        /directory entry "d\/" claims 5 bytes/,
      ),
  );
  await t.step(
    "file named like a directory",
    () => rejects(concat(rawFile("d/", ""), END_OF_ARCHIVE), /regular file with a directory name/),
  );
});

Deno.test("readTarEntries() yields a huge claimed size without allocating, then reports truncation", async () => {
  const sizeField = new Uint8Array(12);
  sizeField[0] = 0x80;
  sizeField[6] = 0x01; // 2^40 bytes = 1 TiB, base-256
  const bytes = concat(rawHeader({ name: "big", sizeField }), new Uint8Array(4096));
  const it = readTarEntries(chunked(bytes, 512));
  const first = await it.next();
  assert.equal(first.done, false);
  const entry = first.value as { size: number; body(): AsyncGenerator<Uint8Array> };
  assert.equal(entry.size, 2 ** 40);
  let seen = 0;
  await assert.rejects(async () => {
    for await (const c of entry.body()) seen += c.length;
  }, /archive is truncated inside entry "big"/);
  assert.equal(seen, 4096);
});

Deno.test("readTarEntries() parses pax headers strictly", async (t) => {
  await t.step("size override", async () => {
    const got = await readAll(
      concat(
        rawPax([["size", "3"]]),
        rawHeader({ name: "a", size: 0 }),
        new TextEncoder().encode("abc"),
        new Uint8Array(509),
        END_OF_ARCHIVE,
      ),
    );
    assert.deepEqual(got.map((e) => [e.path, e.content]), [["a", "abc"]]);
  });
  await t.step(
    "unsupported key",
    () =>
      rejects(concat(rawPax([["mtime", "1"]]), rawFile("a", "x"), END_OF_ARCHIVE), /unsupported key "mtime"/),
  );
  await t.step(
    "linkpath",
    () =>
      rejects(
        concat(rawPax([["linkpath", "/etc"]]), rawFile("a", "x"), END_OF_ARCHIVE),
        /unsupported key "linkpath"/,
      ),
  );
  await t.step(
    "duplicate key",
    () =>
      rejects(
        concat(rawPax([["path", "a"], ["path", "b"]]), rawFile("a", "x"), END_OF_ARCHIVE),
        /duplicate key/,
      ),
  );
  await t.step(
    "bad size value",
    () =>
      rejects(concat(rawPax([["size", "12abc"]]), rawFile("a", "x"), END_OF_ARCHIVE), /malformed pax size/),
  );
  await t.step(
    "two in a row",
    () =>
      rejects(
        concat(rawPax([["path", "a"]]), rawPax([["path", "b"]]), rawFile("a", "x"), END_OF_ARCHIVE),
        /two pax headers/,
      ),
  );
  await t.step(
    "then end",
    () => rejects(concat(rawPax([["path", "a"]]), END_OF_ARCHIVE), /not followed by an entry/),
  );
  await t.step("bad record length", () => {
    const data = new TextEncoder().encode("99 path=a\n");
    return rejects(
      concat(
        rawHeader({ name: "P", type: "x", size: data.length }),
        data,
        new Uint8Array(512 - data.length),
        rawFile("a", "x"),
        END_OF_ARCHIVE,
      ),
      /bad record length/,
    );
  });
  await t.step(
    "oversized",
    () =>
      rejects(
        concat(rawHeader({ name: "P", type: "x", size: 10_000_000 }), END_OF_ARCHIVE),
        /claims 10000000 bytes/,
      ),
  );
});

Deno.test("readTarEntries() requires the end marker and nothing but zeros after it", async (t) => {
  await t.step("no end marker", () => rejects(rawFile("a", "x"), /without an end-of-archive marker/));
  await t.step(
    "half end marker",
    () => rejects(concat(rawFile("a", "x"), new Uint8Array(512)), /marker is incomplete/),
  );
  await t.step(
    "entry after a lone zero block",
    () =>
      rejects(
        concat(rawFile("a", "x"), new Uint8Array(512), rawFile("b", "y"), END_OF_ARCHIVE),
        /lone zero block/,
      ),
  );
  await t.step(
    "data after the end",
    () =>
      rejects(
        concat(rawFile("a", "x"), END_OF_ARCHIVE, rawFile("b", "y")),
        /data after the tar end-of-archive marker/,
      ),
  );
  await t.step("record padding of zeros is fine", async () => {
    const got = await readAll(concat(rawFile("a", "x"), END_OF_ARCHIVE, new Uint8Array(8192)));
    assert.equal(got.length, 1);
  });
  await t.step(
    "truncated body",
    () => rejects(rawFile("a", "x".repeat(1000)).subarray(0, 900), /truncated inside entry "a"/),
  );
  await t.step("non-zero padding", () => {
    const f = rawFile("a", "x");
    f[600] = 1;
    return rejects(concat(f, END_OF_ARCHIVE), /non-zero tar padding after entry "a"/);
  });
});
