import assert from "node:assert/strict";
import { cycloneDxErrors, isSpdxId } from "../../tests/support/cyclonedx_validate.ts";
import { packageUrl } from "./purl.ts";
import type { ReviewPackage } from "./review_schema.ts";
import { buildSbom, vcsUrl } from "./sbom.ts";
import { KNOWN_SPDX_IDS, licenseChoice } from "./spdx_license.ts";

function pkg(
  p: Partial<ReviewPackage> & Pick<ReviewPackage, "ecosystem" | "name" | "version">,
): ReviewPackage {
  return {
    license: null,
    filename: `dependencies/${p.ecosystem}/packages/${p.name}-${p.version}`,
    sha256: "ab".repeat(32),
    size: 10,
    kind: p.ecosystem === "nodejs" ? "npm" : "wheel",
    install_script: false,
    install_script_reason: null,
    ...p,
  };
}

const PACKAGES: ReviewPackage[] = [
  pkg({ ecosystem: "python", name: "Foo_Bar", version: "1.0+local.1", license: "MIT" }),
  pkg({ ecosystem: "python", name: "gamma-src", version: "0.3", kind: "sdist", install_script: true }),
  pkg({
    ecosystem: "python",
    name: "gamma-src",
    version: "0.3",
    filename: "dependencies/python/packages/gamma_src-0.3-py3-none-any.whl",
    license: "Apache-2.0 OR mit",
  }),
  pkg({ ecosystem: "nodejs", name: "@acme/util", version: "1.0.0", license: "ISC", install_script: null }),
  pkg({ ecosystem: "nodejs", name: "left-pad", version: "1.3.0", license: "WTFPL OR Some Custom" }),
  pkg({ ecosystem: "nodejs", name: "top", version: "2.0.0-beta.1", license: "SEE LICENSE IN LICENSE.txt" }),
];

Deno.test("packageUrl() follows the purl spec for PyPI and npm", async (t) => {
  const cases: Array<[string, string, string, string]> = [
    ["python", "Foo_Bar", "1.0", "pkg:pypi/foo-bar@1.0"],
    ["python", "x", "1.0+local", "pkg:pypi/x@1.0%2Blocal"],
    ["nodejs", "@acme/util", "1.0.0", "pkg:npm/%40acme/util@1.0.0"],
    ["nodejs", "left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0"],
    ["other", "thing", "1", "pkg:generic/thing@1"],
  ];
  for (const [eco, name, version, purl] of cases) {
    await t.step(`${eco} ${name}@${version}`, () => assert.equal(packageUrl(eco, name, version), purl));
  }
});

Deno.test("licenseChoice() writes SPDX ids and expressions only when known, names otherwise", async (t) => {
  const cases: Array<[string, unknown]> = [
    ["MIT", { license: { id: "MIT" } }],
    ["apache-2.0", { license: { id: "Apache-2.0" } }],
    ["MIT OR Apache-2.0", { expression: "MIT OR Apache-2.0" }],
    ["(MIT and Zlib)", { expression: "(MIT AND Zlib)" }],
    ["Apache-2.0 WITH LLVM-exception", { expression: "Apache-2.0 WITH LLVM-exception" }],
    ["MIT License", { license: { name: "MIT License" } }],
    ["MIT OR", { license: { name: "MIT OR" } }],
    ["BSD\nfull licence text follows", { license: { name: "BSD" } }],
    ["   ", null],
  ];
  for (const [text, want] of cases) {
    await t.step(JSON.stringify(text), () => assert.deepEqual(licenseChoice(text), want));
  }
});

Deno.test("every id in KNOWN_SPDX_IDS is on the SPDX list the CycloneDX schema enforces", () => {
  const unknown = [...KNOWN_SPDX_IDS].filter((id) => !isSpdxId(id));
  assert.deepEqual(unknown, []);
  assert.equal(isSpdxId("Not-A-Licence"), false, "the check itself can fail");
});

Deno.test("vcsUrl() drops credentials and turns paths and scp-style sources into URLs", async (t) => {
  const cases: Array<[string, string | null]> = [
    ["https://user:secret@git.example.test/g/app.git", "https://git.example.test/g/app.git"],
    ["https://git.example.test/g/app.git", "https://git.example.test/g/app.git"],
    ["ssh://git:pw@host.test/g/app.git", "ssh://git@host.test/g/app.git"],
    ["git@host.test:g/app.git", "ssh://git@host.test/g/app.git"],
    ["/srv/repos/my app.git", "file:///srv/repos/my%20app.git"],
    ["not a url", null],
  ];
  for (const [source, want] of cases) await t.step(source, () => assert.equal(vcsUrl(source), want));
});

Deno.test("buildSbom() is valid CycloneDX 1.5 and lists exactly the packages", async () => {
  const bom = buildSbom(
    {
      name: "app",
      url: "https://ci:tok-secret@git.example.test/group/app.git",
      head: "a".repeat(40),
      defaultBranch: "main",
    },
    PACKAGES,
    { createdAt: new Date("2025-10-13T14:00:00Z"), toolVersion: "0.1.0" },
  );
  assert.equal(await cycloneDxErrors(bom), null);
  assert.ok(!JSON.stringify(bom).includes("tok-secret"), "no credentials in the SBOM");
  assert.match(
    bom.serialNumber,
    /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  const meta = bom.metadata as { component: Record<string, unknown> };
  assert.equal(meta.component.type, "application");
  assert.equal(meta.component.version, "a".repeat(40));
  assert.deepEqual(meta.component.externalReferences, [
    { type: "vcs", url: "https://git.example.test/group/app.git" },
  ]);
  assert.deepEqual(bom.components.map((c) => c.purl), [
    "pkg:pypi/foo-bar@1.0%2Blocal.1",
    "pkg:pypi/gamma-src@0.3",
    "pkg:pypi/gamma-src@0.3?file_name=gamma_src-0.3-py3-none-any.whl",
    "pkg:npm/%40acme/util@1.0.0",
    "pkg:npm/left-pad@1.3.0",
    "pkg:npm/top@2.0.0-beta.1",
  ]);
  assert.equal(new Set(bom.components.map((c) => c["bom-ref"])).size, PACKAGES.length, "bom-refs are unique");
  assert.deepEqual(
    bom.components.map((c) => (c.hashes as unknown[])[0]),
    PACKAGES.map((p) => ({ alg: "SHA-256", content: p.sha256 })),
  );
  assert.deepEqual(bom.components[3].group, "@acme");
  assert.deepEqual(bom.components[3].name, "util");
  assert.deepEqual(bom.components.map((c) => c.licenses), [
    [{ license: { id: "MIT" } }],
    undefined,
    [{ expression: "Apache-2.0 OR MIT" }],
    [{ license: { id: "ISC" } }],
    [{ license: { name: "WTFPL OR Some Custom" } }],
    [{ license: { name: "SEE LICENSE IN LICENSE.txt" } }],
  ]);
  assert.deepEqual(bom.dependencies, [{
    ref: "repository",
    dependsOn: bom.components.map((c) => c["bom-ref"]),
  }]);

  const broken = structuredClone(bom);
  (broken.components[0] as Record<string, unknown>).licenses = [{ license: { id: "MIT License" } }];
  assert.notEqual(await cycloneDxErrors(broken), null, "the validator rejects what the schema forbids");
});

Deno.test("buildSbom() with no packages and an empty repository is still valid", async () => {
  const bom = buildSbom({ name: "empty", url: "/srv/empty.git", head: null, defaultBranch: null }, [], {
    toolVersion: "0.1.0",
  });
  assert.equal(await cycloneDxErrors(bom), null);
  assert.deepEqual(bom.components, []);
});
