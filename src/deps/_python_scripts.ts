/**
 * Small Python programs run with the staging host's python3 (`python3 -c`, JSON on stdin and
 * stdout). Python reads TOML (tomllib) and the wheel/sdist metadata formats natively; doing it there
 * keeps these parsers out of our binary. Standard library only.
 */

/**
 * Exports pinned requirements from a lock or a pyproject.toml.
 * Input `{source: "poetry"|"uv"|"pep621", lock?: path, pyproject?: path}`.
 * Output `{requirements: [line], no_deps: bool, skipped: [text], error?: text}`.
 */
export const EXPORT_REQUIREMENTS = String.raw`
import json, sys
try:
    import tomllib
except ImportError:
    try:
        import tomli as tomllib
    except ImportError:
        print(json.dumps({"error": "reading TOML needs Python 3.11+ (tomllib) or the tomli package"}))
        sys.exit(0)

spec = json.load(sys.stdin)
out = {"requirements": [], "no_deps": True, "skipped": []}

def load(path):
    with open(path, "rb") as fh:
        return tomllib.load(fh)

def pin(name, version, hashes, marker=None):
    line = "%s==%s" % (name, version)
    if marker:
        line += " ; " + marker
    return line, sorted(set(h for h in hashes if h.startswith("sha256:")))

def emit(pins):
    hashed = all(h for _, h in pins)
    for line, hashes in pins:
        out["requirements"].append(line + "".join(" --hash=" + h for h in hashes) if hashed else line)

try:
    if spec["source"] == "poetry":
        lock = load(spec["lock"])
        legacy = lock.get("metadata", {}).get("files", {})
        pins = []
        for p in lock.get("package", []):
            src = p.get("source", {}).get("type")
            if src in ("git", "directory", "file", "url"):
                out["skipped"].append("%s (%s source)" % (p["name"], src))
                continue
            files = p.get("files") or legacy.get(p["name"], [])
            marker = p.get("markers") if isinstance(p.get("markers"), str) else None
            pins.append(pin(p["name"], p["version"], [f.get("hash", "") for f in files], marker))
        emit(pins)
    elif spec["source"] == "uv":
        lock = load(spec["lock"])
        pins = []
        for p in lock.get("package", []):
            src = p.get("source", {})
            if "registry" not in src:
                if not any(k in src for k in ("editable", "virtual", "directory")):
                    out["skipped"].append("%s (%s source)" % (p["name"], ",".join(src) or "unknown"))
                continue
            files = list(p.get("wheels", []))
            if p.get("sdist"):
                files.append(p["sdist"])
            pins.append(pin(p["name"], p["version"], [f.get("hash", "") for f in files]))
        emit(pins)
    else:
        doc = load(spec["pyproject"])
        project = doc.get("project", {})
        deps = project.get("dependencies")
        if deps is None and "poetry" in doc.get("tool", {}):
            out["error"] = "Poetry project without poetry.lock: run \"poetry lock\" and commit poetry.lock"
        else:
            out["requirements"] = list(deps or [])
            out["no_deps"] = False
except Exception as e:
    out["error"] = "cannot read %s: %s" % (spec.get("lock") or spec.get("pyproject"), e)
print(json.dumps(out))
`;

/**
 * Reads name, version, licence and (for sdists) build requirements of distribution files.
 * Input `{files: [path]}`; output `[{file, name, version, license, kind, build_requires}]` where
 * `build_requires` is null for wheels.
 */
export const INSPECT_DISTRIBUTIONS = String.raw`
import email.parser, json, os, sys, tarfile, zipfile
try:
    import tomllib
except ImportError:
    tomllib = None

DEFAULT_BUILD = ["setuptools>=40.8.0", "wheel"]

def licence(msg):
    value = msg.get("License-Expression") or ""
    if not value:
        lic = (msg.get("License") or "").strip().splitlines()
        if lic and lic[0].strip().upper() not in ("UNKNOWN", ""):
            value = lic[0].strip()[:200]
    if not value:
        for c in msg.get_all("Classifier") or []:
            if c.startswith("License ::"):
                value = c.split("::")[-1].strip()
                break
    return value or None

def build_requires(text):
    if text is None:
        return DEFAULT_BUILD
    if tomllib is None:
        return DEFAULT_BUILD
    system = tomllib.loads(text).get("build-system")
    if system is None:
        return DEFAULT_BUILD
    return list(system.get("requires", DEFAULT_BUILD))

def inspect(path):
    name = os.path.basename(path)
    meta, pyproject, kind = None, None, "wheel"
    if name.endswith(".whl"):
        with zipfile.ZipFile(path) as z:
            for n in z.namelist():
                if n.count("/") == 1 and n.endswith(".dist-info/METADATA"):
                    meta = z.read(n).decode("utf-8", "replace")
    elif name.endswith((".tar.gz", ".tgz", ".tar.bz2", ".tar")):
        kind = "sdist"
        with tarfile.open(path) as t:
            for m in t.getmembers():
                if m.isfile() and m.name.count("/") == 1:
                    base = m.name.split("/")[1]
                    if base == "PKG-INFO":
                        meta = t.extractfile(m).read().decode("utf-8", "replace")
                    elif base == "pyproject.toml":
                        pyproject = t.extractfile(m).read().decode("utf-8", "replace")
    elif name.endswith(".zip"):
        kind = "sdist"
        with zipfile.ZipFile(path) as z:
            for n in z.namelist():
                if n.count("/") == 1 and n.endswith("/PKG-INFO"):
                    meta = z.read(n).decode("utf-8", "replace")
                elif n.count("/") == 1 and n.endswith("/pyproject.toml"):
                    pyproject = z.read(n).decode("utf-8", "replace")
    if meta is None:
        raise ValueError("no package metadata in " + name)
    msg = email.parser.Parser().parsestr(meta, headersonly=True)
    return {
        "file": name,
        "name": msg.get("Name"),
        "version": msg.get("Version"),
        "license": licence(msg),
        "kind": kind,
        "build_requires": None if kind == "wheel" else build_requires(pyproject),
    }

print(json.dumps([inspect(p) for p in json.load(sys.stdin)["files"]]))
`;
