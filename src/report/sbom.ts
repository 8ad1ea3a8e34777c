import { randomUUID } from "node:crypto";
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { packageUrl, splitNpmName } from "./purl.ts";
import type { ReviewPackage } from "./review_schema.ts";
import { licenseChoice } from "./spdx_license.ts";

/** The repository an SBOM describes. */
export interface SbomSubject {
  name: string;
  /** Source URL or path (credentials are stripped again here). */
  url: string;
  /** Commit HEAD resolved to; null for an empty repository. */
  head: string | null;
  defaultBranch: string | null;
}

/** Options of {@link buildSbom}. */
export interface BuildSbomOptions {
  /** BOM timestamp. Default now. */
  createdAt?: Date;
  /** Version of repo-cloner recorded as the tool. */
  toolVersion: string;
  /** Serial number UUID. Default random. */
  serial?: string;
}

/** A CycloneDX 1.5 JSON document (only the parts we write are typed). */
export interface CycloneDxBom {
  $schema: string;
  bomFormat: "CycloneDX";
  specVersion: "1.5";
  serialNumber: string;
  version: 1;
  metadata: Record<string, unknown>;
  components: Array<Record<string, unknown> & { "bom-ref": string; name: string; purl: string }>;
  dependencies: Array<{ ref: string; dependsOn: string[] }>;
}

/**
 * Builds the CycloneDX 1.5 bill of materials carried as `sbom.cdx.json`: `metadata.component` is the
 * repository (an application whose version is the HEAD commit, with its VCS URL), `components` are
 * exactly the dependency packages carried under `dependencies/` (purl, SHA-256 of the package file,
 * licence where known, archive path as a property), and the repository depends on each of them.
 */
export function buildSbom(
  subject: SbomSubject,
  packages: ReviewPackage[],
  options: BuildSbomOptions,
): CycloneDxBom {
  const refs = new Set<string>();
  const components = packages.map((p) => {
    let purl = packageUrl(p.ecosystem, p.name, p.version);
    if (refs.has(purl)) purl += `?file_name=${encodeURIComponent(p.filename.split("/").pop() ?? "")}`;
    let ref = purl;
    for (let i = 2; refs.has(ref); i++) ref = `${purl}#${i}`;
    refs.add(ref);
    const npm = p.ecosystem === "nodejs" ? splitNpmName(p.name) : null;
    const license = p.license ? licenseChoice(p.license) : null;
    const properties = [
      { name: "repo-cloner:ecosystem", value: p.ecosystem },
      { name: "repo-cloner:archive_path", value: p.filename },
      { name: "repo-cloner:package_kind", value: p.kind },
    ];
    if (p.install_script !== null) {
      properties.push({ name: "repo-cloner:install_script", value: String(p.install_script) });
    }
    return {
      type: "library",
      "bom-ref": ref,
      ...(npm?.scope ? { group: npm.scope } : {}),
      name: npm ? npm.name : p.name,
      version: p.version,
      purl,
      hashes: [{ alg: "SHA-256", content: p.sha256 }],
      ...(license ? { licenses: [license] } : {}),
      properties,
    };
  });
  const repo: Record<string, unknown> = {
    type: "application",
    "bom-ref": "repository",
    name: subject.name,
    ...(subject.head ? { version: subject.head } : {}),
  };
  const vcs = vcsUrl(subject.url);
  if (vcs) repo.externalReferences = [{ type: "vcs", url: vcs }];
  if (subject.defaultBranch) {
    repo.properties = [{ name: "repo-cloner:default_branch", value: subject.defaultBranch }];
  }
  return {
    $schema: "http://cyclonedx.org/schema/bom-1.5.schema.json",
    bomFormat: "CycloneDX",
    specVersion: "1.5",
    serialNumber: `urn:uuid:${options.serial ?? randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: (options.createdAt ?? new Date()).toISOString(),
      tools: { components: [{ type: "application", name: "repo-cloner", version: options.toolVersion }] },
      component: repo,
    },
    components,
    dependencies: [{ ref: "repository", dependsOn: components.map((c) => c["bom-ref"]) }],
  };
}

/**
 * The source as an IRI without credentials: URLs lose user name and password (http/https) or the
 * password (others); a local path becomes a `file://` URL; scp-style `user@host:path` becomes
 * `ssh://user@host/path`. Null when nothing usable remains.
 */
export function vcsUrl(source: string): string | null {
  if (isAbsolute(source)) return pathToFileURL(source).href;
  const scp = /^([A-Za-z0-9._-]+@)?([A-Za-z0-9.-]+):(?!\/\/)(.+)$/.exec(source);
  if (scp && !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(source)) {
    return `ssh://${scp[1] ?? ""}${scp[2]}/${encodeURI(scp[3].replace(/^\//, ""))}`;
  }
  try {
    const u = new URL(source);
    u.password = "";
    if (u.protocol === "http:" || u.protocol === "https:") u.username = "";
    return u.href;
  } catch {
    return null;
  }
}
