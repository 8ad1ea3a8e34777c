/**
 * The `type: s3` sync target: instead of a push, each repository gets an archive built by the archive
 * pipeline from the run's mirror cache (no second fetch of the source), uploaded with its sha256 as
 * object metadata (checked after the upload), then retention keeps the newest N per repository.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createArchive } from "../archive/create.ts";
import { readStoredManifest, type StoredManifest } from "../archive/stored_manifest.ts";
import type { GitAuth } from "../git/git.ts";
import { lfsAvailable, lfsFetchAll, tipsUseLfs } from "../git/lfs.ts";
import type { Logger, ModuleLogger } from "../log/logger.ts";
import {
  createStorage,
  listArchives,
  type ObjectInfo,
  putFile,
  type Storage,
  type StorageFactoryOptions,
  type StoredArchive,
} from "../storage/mod.ts";
import type { RefMap } from "./refs.ts";
import { s3Label, type S3TargetSettings } from "./target_settings.ts";

/** What one delivery uploaded. */
export interface UploadedArchive {
  /** Object key below the target's prefix: `backend-api-incremental-20251013-140000.tar.gz`. */
  key: string;
  /** `s3://bucket/prefix/key`. */
  url: string;
  type: "full" | "incremental";
  size: number;
  sha256: string;
  /** Key of the archive this incremental builds on. */
  base?: string;
  /** How the upload was checked: "size+sha256+etag", "size+sha256" or "read-back". */
  verified: string;
  /** Building the archive from the mirror, and uploading it. */
  build_seconds: number;
  upload_seconds: number;
  /** Older archives (and sidecars) deleted by retention. */
  retention_deleted: string[];
  /** Retention failed after a good upload (the archive is stored; old ones were kept). */
  retention_error?: string;
}

/** What the bucket holds of one repository. */
export interface ArchiveState {
  /** Its newest archive, when any. */
  latest?: StoredArchive;
  /** That archive's manifest. */
  manifest?: StoredManifest;
  /** Archives since (and including) the newest full one: the length of the current chain. */
  chain: number;
}

/** Options of {@link S3ArchiveTarget}. */
export interface S3ArchiveTargetOptions {
  /** Environment: AWS credentials chain, registry settings for dependencies. Default process.env. */
  env?: Record<string, string | undefined>;
  /** Explicit AWS credentials (tests, embedding). Default: the SDK chain. */
  credentials?: StorageFactoryOptions["credentials"];
  /** Directory for temporary archive builds (the cache root: same disk as the mirrors). */
  workRoot: string;
  /** Root logger: the archive pipeline's records go to its children. */
  logger?: Logger;
  /** Storage to use instead of building one from the settings (tests). */
  storage?: Storage;
}

/** Options of {@link S3ArchiveTarget.deliver}. */
export interface DeliverOptions {
  /** The repository's up-to-date mirror (bare). */
  mirrorDir: string;
  /** Source clone URL recorded in the manifest (no credentials). */
  sourceUrl: string;
  /** Source credentials, for its LFS objects (the mirror's `origin` is the source). */
  sourceAuth?: GitAuth;
  /** Commits the mirror's branches and tags point at (to see whether the repository uses LFS). */
  tips: string[];
  /** From {@link S3ArchiveTarget.state} in the same attempt. */
  state: ArchiveState;
  signal?: AbortSignal;
  /** Called when the upload starts. */
  onUpload?: (e: { url: string; size: number }) => void;
}

/** An S3 bucket (and prefix) that keeps an archive chain per repository. */
export class S3ArchiveTarget {
  readonly kind = "s3";
  readonly label: string;
  readonly who: string;
  readonly prune = false;
  readonly storage: Storage;
  #listing?: ObjectInfo[];
  #unavailable?: unknown;
  #log?: ModuleLogger;

  constructor(readonly settings: S3TargetSettings, readonly options: S3ArchiveTargetOptions) {
    this.label = s3Label(settings);
    this.who = `the S3 target ${this.label} (AWS credentials from the environment or profile)`;
    this.storage = options.storage ??
      createStorage({ type: "s3", ...settings.s3 }, {
        env: options.env,
        credentials: options.credentials ?? envCredentials(options.env),
      });
    this.#log = options.logger?.child("s3_target");
  }

  /** Lists the prefix once (each repository's newest archive is found in this listing). */
  async prepare(): Promise<void> {
    this.#listing = await this.storage.list();
    this.#unavailable = undefined;
  }

  /**
   * Records why the bucket cannot be used (listing it failed for good): every repository's delivery to
   * this target then fails with that error, without further requests.
   */
  markUnavailable(error: unknown): void {
    this.#unavailable = error;
  }

  /**
   * The newest archive of repository `name` and its manifest (only the manifest entry is downloaded).
   * @throws the listing's error when the bucket is unavailable; storage errors; ArchiveError for an
   *   object under the repository's name that is not a readable archive.
   */
  async state(name: string, options: { signal?: AbortSignal } = {}): Promise<ArchiveState> {
    if (this.#unavailable !== undefined) throw this.#unavailable;
    const listing = this.#listing ?? await this.storage.list();
    const archives = await listArchives({ list: () => Promise.resolve(listing) }, name);
    const latest = archives[0];
    if (!latest) return { chain: 0 };
    const manifest = await readStoredManifest(this.storage, latest.key, { signal: options.signal });
    const full = archives.findIndex((a) => a.archive.type === "full");
    return { latest, manifest, chain: full < 0 ? archives.length : full + 1 };
  }

  /** True when the newest archive already holds exactly the source's branches and tags. */
  upToDate(state: ArchiveState, sourceRefs: RefMap): boolean {
    const refs = state.manifest?.manifest.refs;
    if (!refs || Object.keys(refs).length !== sourceRefs.size) return false;
    for (const [ref, tip] of sourceRefs) if (refs[ref] !== tip.sha) return false;
    return true;
  }

  /** The type the next archive of a repository in `state` gets. */
  nextType(state: ArchiveState): "full" | "incremental" {
    if (this.settings.archiveType === "full" || !state.manifest) return "full";
    const { retention } = this.settings;
    return retention !== undefined && state.chain >= retention ? "full" : "incremental";
  }

  /**
   * Builds the archive of repository `name` from its mirror (incremental against the newest stored
   * archive's manifest, or full; see {@link nextType}), verifies it, uploads it (sha256 metadata,
   * checked after the upload; a failed upload leaves no object under the key), then applies retention.
   * The temporary build directory is removed in every case.
   * @throws what createArchive and the storage throw (ArchiveError, StorageError, AuthError, TransientError).
   */
  async deliver(name: string, options: DeliverOptions): Promise<UploadedArchive> {
    const { state } = options;
    const type = this.nextType(state);
    mkdirSync(this.options.workRoot, { recursive: true });
    const work = mkdtempSync(join(this.options.workRoot, "s3-archive-"));
    try {
      let base: string | undefined;
      if (type === "incremental") {
        base = join(work, "base-manifest.json");
        writeFileSync(base, state.manifest!.bytes);
      }
      const built = performance.now();
      await this.#mirrorLfs(options);
      const created = await createArchive(options.mirrorDir, join(work, "out"), {
        type,
        base,
        name,
        sourceUrl: options.sourceUrl,
        includeDependencies: this.settings.includeDependencies,
        includeLfs: this.settings.includeLfs,
        dependencies: { env: this.options.env },
        env: this.options.env,
        logger: this.options.logger,
        workDir: work,
        now: clockAfter(state.latest?.archive.stamp),
        signal: options.signal,
      });
      const buildSeconds = (performance.now() - built) / 1000;
      options.onUpload?.({ url: this.storage.url(created.name), size: created.size });
      const put = await putFile(this.storage, created.name, {
        file: created.path,
        sha256: created.sha256,
        size: created.size,
        signal: options.signal,
      });
      this.#listing?.push({ key: put.key, size: put.size, lastModified: new Date(), sha256: put.sha256 });
      const out: UploadedArchive = {
        key: put.key,
        url: put.url,
        type,
        size: put.size,
        sha256: put.sha256,
        base: type === "incremental" ? state.latest?.key : undefined,
        verified: put.verified,
        build_seconds: round(buildSeconds),
        upload_seconds: round(put.durationMs / 1000),
        retention_deleted: [],
      };
      this.#log?.info("Archive uploaded", {
        repository: name,
        target: this.label,
        url: put.url,
        archive_type: type,
        base_archive: out.base,
        size_bytes: put.size,
        sha256: put.sha256,
        verified: put.verified,
        duration_seconds: out.upload_seconds,
      });
      if (this.settings.retention !== undefined) await this.#retain(name, out);
      return out;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  /**
   * The mirror holds git objects only. When the repository uses LFS, its LFS objects are fetched into
   * the mirror from the source's LFS server (only those not already there; this is the LFS API, not a
   * second git fetch), so the archive pipeline's local clone of the mirror finds them.
   */
  async #mirrorLfs(options: DeliverOptions): Promise<void> {
    if (!this.settings.includeLfs) return;
    if (!await tipsUseLfs(options.mirrorDir, options.tips)) return;
    if (!await lfsAvailable()) return; // createArchive names the missing git-lfs
    await lfsFetchAll(options.mirrorDir, "origin", {
      auth: options.sourceAuth,
      signal: options.signal,
      logger: this.options.logger?.child("git_client"),
    });
  }

  async #retain(name: string, out: UploadedArchive): Promise<void> {
    try {
      const r = await this.storage.retain(name, this.settings.retention!);
      out.retention_deleted = r.deleted;
      const gone = new Set(r.deleted);
      if (this.#listing) this.#listing = this.#listing.filter((o) => !gone.has(o.key));
      if (r.deleted.length) {
        this.#log?.info("Retention applied", {
          repository: name,
          target: this.label,
          kept: r.kept.length,
          deleted: r.deleted,
        });
      }
    } catch (error) {
      out.retention_error = (error as Error).message;
      this.#log?.warning(`Cannot apply retention: ${(error as Error).message}`, {
        repository: name,
        target: this.label,
      });
    }
  }
}

/** Keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (first in the SDK's own chain); else the chain. */
function envCredentials(env: Record<string, string | undefined> | undefined) {
  if (!env?.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return undefined;
  return {
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    sessionToken: env.AWS_SESSION_TOKEN || undefined,
  };
}

/**
 * A clock whose first reading is at least one second after `stamp` (`YYYYMMDD-HHMMSS`, UTC), so a new
 * archive always sorts after the newest stored one, even within the same second.
 */
export function clockAfter(stamp: string | undefined): () => Date {
  const m = stamp ? /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/.exec(stamp) : null;
  if (!m) return () => new Date();
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const after = Date.UTC(y, mo - 1, d, h, mi, s) + 1000;
  const offset = Math.max(0, after - Date.now());
  return () => new Date(Date.now() + offset);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
