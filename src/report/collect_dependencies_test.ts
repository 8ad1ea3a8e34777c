import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { collectDependencies, type EcosystemInfo } from "./collect_dependencies.ts";

/** Writes `dependencies/<rel>` in the stage; returns sha256 and size. */
function put(stage: string, rel: string, content: string) {
  const file = join(stage, "dependencies", rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return { sha256: createHash("sha256").update(content).digest("hex"), size: Buffer.byteLength(content) };
}

/** A staged Python + Node.js dependencies folder as the dependencies step writes it (src/deps/manifests.ts). */
function stageFixture(stage: string): EcosystemInfo[] {
  const wheel = put(stage, "python/packages/alpha-1.0-py3-none-any.whl", "wheel bytes");
  const sdist = put(stage, "python/packages/gamma_src-0.3.tar.gz", "sdist bytes");
  put(
    stage,
    "python/manifest.json",
    JSON.stringify({
      format_version: 1,
      ecosystem: "python",
      index_urls: ["http://127.0.0.1:1/simple"],
      target: {},
      projects: [],
      packages: [
        {
          name: "alpha",
          version: "1.0",
          filename: "packages/alpha-1.0-py3-none-any.whl",
          ...wheel,
          license: "MIT",
          kind: "wheel",
          role: "runtime",
        },
        {
          name: "gamma-src",
          version: "0.3",
          filename: "packages/gamma_src-0.3.tar.gz",
          ...sdist,
          kind: "sdist",
          role: "runtime",
        },
      ],
    }),
  );
  const top = put(stage, "nodejs/npm-cache/_cacache/content-v2/sha512/aa/bb/top", "top tgz");
  const util = put(stage, "nodejs/npm-cache/_cacache/content-v2/sha512/cc/dd/util", "util tgz");
  put(
    stage,
    "nodejs/package-lock.json",
    JSON.stringify({
      lockfileVersion: 3,
      packages: {
        "": { name: "app", hasInstallScript: true },
        "node_modules/top": { version: "1.2.0", hasInstallScript: true },
        "node_modules/@acme/util": { version: "1.0.0" },
      },
    }),
  );
  put(
    stage,
    "nodejs/manifest.json",
    JSON.stringify({
      format_version: 1,
      ecosystem: "nodejs",
      registry: "http://127.0.0.1:1/",
      cache: "npm-cache",
      projects: [{
        root: ".",
        lockfile: "package-lock.json",
        lockfile_copy: "package-lock.json",
        packages: 2,
        skipped: [],
      }],
      packages: [
        {
          name: "@acme/util",
          version: "1.0.0",
          filename: "npm-cache/_cacache/content-v2/sha512/cc/dd/util",
          ...util,
          integrity: "sha512-x",
          license: "ISC",
        },
        {
          name: "top",
          version: "1.2.0",
          filename: "npm-cache/_cacache/content-v2/sha512/aa/bb/top",
          ...top,
          integrity: "sha512-y",
        },
      ],
    }),
  );
  return [
    { ecosystem: "python", status: "included", packages: 2, files: ["dependencies/python/manifest.json"] },
    { ecosystem: "nodejs", status: "included", packages: 2, files: ["dependencies/nodejs/manifest.json"] },
    {
      ecosystem: "go",
      status: "unsupported",
      reason: "go.mod found; Go modules are not carried",
      packages: 0,
      files: [],
    },
  ];
}

Deno.test("collectDependencies() lists every staged package with licence, archive path, hash and install scripts", () => {
  const stage = mkdtempSync(join(tmpdir(), "rc-deps-review-"));
  try {
    const deps = collectDependencies(stage, stageFixture(stage));
    assert.deepEqual(
      deps.packages.map((
        p,
      ) => [p.ecosystem, p.name, p.version, p.license, p.kind, p.install_script, p.filename]),
      [
        [
          "python",
          "alpha",
          "1.0",
          "MIT",
          "wheel",
          false,
          "dependencies/python/packages/alpha-1.0-py3-none-any.whl",
        ],
        [
          "python",
          "gamma-src",
          "0.3",
          null,
          "sdist",
          true,
          "dependencies/python/packages/gamma_src-0.3.tar.gz",
        ],
        [
          "nodejs",
          "@acme/util",
          "1.0.0",
          "ISC",
          "npm",
          false,
          "dependencies/nodejs/npm-cache/_cacache/content-v2/sha512/cc/dd/util",
        ],
        [
          "nodejs",
          "top",
          "1.2.0",
          null,
          "npm",
          true,
          "dependencies/nodejs/npm-cache/_cacache/content-v2/sha512/aa/bb/top",
        ],
      ],
    );
    assert.equal(deps.packages[0].sha256, createHash("sha256").update("wheel bytes").digest("hex"));
    assert.match(deps.packages[3].install_script_reason ?? "", /hasInstallScript/);
    assert.deepEqual(deps.ecosystems.map((e) => [e.ecosystem, e.status, e.packages]), [
      ["python", "included", 2],
      ["nodejs", "included", 2],
      ["go", "unsupported", 0],
    ]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
});

Deno.test("collectDependencies() refuses a manifest naming a file that was not staged, and a broken manifest", () => {
  const stage = mkdtempSync(join(tmpdir(), "rc-deps-review-"));
  try {
    const ecosystems = stageFixture(stage);
    rmSync(join(stage, "dependencies/python/packages/alpha-1.0-py3-none-any.whl"));
    assert.throws(
      () => collectDependencies(stage, ecosystems),
      /^ArchiveError: Cannot build the review report: dependencies\/python\/manifest\.json lists "dependencies\/python\/packages\/alpha-1\.0-py3-none-any\.whl"/,
    );
    writeFileSync(join(stage, "dependencies/python/manifest.json"), "{ not json");
    assert.throws(
      () => collectDependencies(stage, ecosystems),
      /Cannot read dependencies\/python\/manifest\.json/,
    );
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
});

Deno.test("collectDependencies() says 'unknown' (null) for install scripts when the lockfile has no packages map", () => {
  const stage = mkdtempSync(join(tmpdir(), "rc-deps-review-"));
  try {
    const ecosystems = stageFixture(stage);
    writeFileSync(
      join(stage, "dependencies/nodejs/package-lock.json"),
      JSON.stringify({ lockfileVersion: 1 }),
    );
    const npm = collectDependencies(stage, ecosystems).packages.filter((p) => p.ecosystem === "nodejs");
    assert.deepEqual(npm.map((p) => p.install_script), [null, null]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
});
