/**
 * The second line of defence behind the archive's own hashes: offline installs check every carried
 * package. A wheel changed after fetch is refused by `pip install --require-hashes`; an npm tarball
 * changed in the carried cache is refused by npm's lockfile integrity check. Nothing of the changed
 * package is installed, and the repository is reported as restored with the dependencies missing.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fetchDependencies, installDependencies } from "../src/deps/mod.ts";
import type { NodeManifest, PythonManifest } from "../src/deps/manifests.ts";
import { tempDir } from "./support/binary.ts";
import { buildProjectRepo, clientEnv, startDepServers } from "./support/dep_fixtures.ts";

const OFFLINE_ENV = { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/root" };

function flipByte(file: string, at: (size: number) => number): void {
  const bytes = readFileSync(file);
  bytes[at(bytes.length)] ^= 0x55;
  writeFileSync(file, bytes);
}

Deno.test("offline install refuses a tampered wheel (pip --require-hashes) and a tampered npm tarball (lockfile integrity)", async (t) => {
  const dir = tempDir("rc-deps-tamper-");
  const servers = await startDepServers(dir);
  let bare: string;
  let work: string;
  const depsDir = join(dir, "stage", "dependencies");
  try {
    ({ bare, work } = await buildProjectRepo(dir, "app", {
      npmUrl: servers.npm.url,
      projects: [{
        root: ".",
        files: { "requirements.txt": "alpha==1.0\n" },
        npmDependencies: { solo: "2.1.0" },
      }],
    }));
    const fetched = await fetchDependencies(bare, depsDir, {
      env: clientEnv(dir, { pypiUrl: servers.pypi.url, npmUrl: servers.npm.url }),
    });
    assert.deepEqual(fetched.map((r) => [r.ecosystem, r.status]), [["python", "included"], [
      "nodejs",
      "included",
    ]]);
  } finally {
    await servers.close();
  }

  await t.step("untouched, both install offline (so the refusals below are earned)", async () => {
    const restored = join(dir, "control");
    execFileSync("git", ["clone", "-q", work, restored]);
    const r = await installDependencies(restored, depsDir, { env: OFFLINE_ENV });
    assert.deepEqual(r.map((x) => [x.ecosystem, x.status]), [["python", "included"], ["nodejs", "included"]]);
  });

  const py = JSON.parse(readFileSync(join(depsDir, "python", "manifest.json"), "utf8")) as PythonManifest;
  const node = JSON.parse(readFileSync(join(depsDir, "nodejs", "manifest.json"), "utf8")) as NodeManifest;
  const wheel = join(depsDir, "python", py.packages.find((p) => p.name === "alpha")!.filename);
  const tarball = join(depsDir, "nodejs", node.packages.find((p) => p.name === "solo")!.filename);
  flipByte(wheel, (n) => n >> 1);
  flipByte(tarball, (n) => n >> 1);

  await t.step("tampered: both ecosystems refused, named, nothing of them installed", async () => {
    const restored = join(dir, "tampered");
    execFileSync("git", ["clone", "-q", work, restored]);
    const r = await installDependencies(restored, depsDir, { env: OFFLINE_ENV });
    assert.deepEqual(r.map((x) => [x.ecosystem, x.status]), [["python", "missing"], ["nodejs", "missing"]]);
    assert.match(r[0].reason!, /hash|HASHES|do not match/i, r[0].reason);
    // cacache checks each tarball against its integrity on read: a changed one is no cache hit, and
    // offline there is nothing else to use.
    assert.match(r[1].reason!, /EINTEGRITY|integrity|ENOTCACHED/, r[1].reason);
    assert.match(r[0].reason!, /The repository itself was restored/);
    const venvAlpha = execFileSync("sh", [
      "-c",
      `ls "${restored}"/.venv/lib/python*/site-packages 2>/dev/null || true`,
    ], {
      encoding: "utf8",
    });
    assert.doesNotMatch(venvAlpha, /^alpha/m, "the tampered wheel was installed");
    assert.ok(
      !existsSync(join(restored, "node_modules", "solo", "index.js")),
      "the tampered tarball was installed",
    );
  });
});
