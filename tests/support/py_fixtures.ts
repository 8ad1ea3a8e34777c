/**
 * Builds Python distributions for tests, offline, with the local python3's zipfile/tarfile: pure
 * wheels (`py3-none-any`) and PEP 517 sdists whose in-tree build backend (no build requirements)
 * makes a wheel when pip builds them. Nothing is downloaded.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";

/** One fixture distribution. `module` is the importable top-level package. */
export interface PyFixture {
  name: string;
  version: string;
  module: string;
  requires?: string[];
  license?: string;
  /** "wheel" (default) or "sdist" (source only, built by pip with the in-tree backend). */
  kind?: "wheel" | "sdist";
  /** Build requirements an sdist declares (pip installs them into its isolated build env). */
  buildRequires?: string[];
}

const BUILDER = String.raw`
import base64, gzip, hashlib, io, json, os, sys, tarfile, zipfile

def norm(n): return n.replace("-", "_").replace(".", "_")

def metadata(f):
    lines = ["Metadata-Version: 2.1", "Name: " + f["name"], "Version: " + f["version"]]
    if f.get("license"): lines.append("License: " + f["license"])
    for r in f.get("requires", []): lines.append("Requires-Dist: " + r)
    return "\n".join(lines) + "\n"

def write_wheel(f, out_dir):
    dist = norm(f["name"]) + "-" + f["version"]
    files = {
        f["module"] + "/__init__.py": "VALUE = %r\n" % (f["name"] + "==" + f["version"]),
        dist + ".dist-info/METADATA": metadata(f),
        dist + ".dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: fixture\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, content in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(content.encode()).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (name, digest, len(content.encode())))
    record.append(dist + ".dist-info/RECORD,,")
    files[dist + ".dist-info/RECORD"] = "\n".join(record) + "\n"
    path = os.path.join(out_dir, dist + "-py3-none-any.whl")
    with zipfile.ZipFile(path, "w") as z:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            z.writestr(info, content)
    return os.path.basename(path)

BACKEND = '''
import json, os, sys
sys.path.insert(0, os.path.dirname(__file__))
from wheel_writer import write_wheel
def _fixture():
    with open("fixture.json") as fh: return json.load(fh)
def get_requires_for_build_wheel(config_settings=None): return []
def get_requires_for_build_sdist(config_settings=None): return []
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return write_wheel(_fixture(), wheel_directory)
def build_sdist(sdist_directory, config_settings=None):
    raise RuntimeError("fixture sdists are not rebuilt")
'''

def write_sdist(f, out_dir, builder_source):
    base = norm(f["name"]) + "-" + f["version"]
    members = {
        "PKG-INFO": metadata(f),
        "pyproject.toml": '[build-system]\nrequires = %s\nbuild-backend = "backend"\nbackend-path = ["_build"]\n'
            % json.dumps(f.get("buildRequires", [])),
        "fixture.json": json.dumps(f),
        "_build/backend.py": BACKEND,
        "_build/wheel_writer.py": builder_source,
        f["module"] + "/__init__.py": "VALUE = %r\n" % (f["name"] + "==" + f["version"]),
    }
    path = os.path.join(out_dir, base + ".tar.gz")
    # gzip mtime 0: the same fixture is the same bytes on every run (no stale-cache surprises).
    with gzip.GzipFile(path, "wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as t:
        for name, content in members.items():
            data = content.encode()
            info = tarfile.TarInfo(base + "/" + name)
            info.size = len(data)
            info.mtime = 1577836800
            t.addfile(info, io.BytesIO(data))
    return os.path.basename(path)

if __name__ == "__main__":
    spec = json.load(sys.stdin)
    out = []
    for f in spec["fixtures"]:
        if f.get("kind") == "sdist":
            out.append(write_sdist(f, spec["out"], spec["source"]))
        else:
            out.append(write_wheel(f, spec["out"]))
    print(json.dumps(out))
`;

/** Writes each fixture's distribution file into `outDir`; returns the file names. */
export function buildPyFixtures(fixtures: PyFixture[], outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const r = spawnSync("python3", ["-c", BUILDER], {
    input: JSON.stringify({ fixtures, out: outDir, source: BUILDER }),
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`building python fixtures failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
