/**
 * `repo-cloner storage ls|stat|put|get|retain`: maintenance commands for operators over the same
 * storage layer archives use (list what a bucket holds, check an object's recorded sha256, move a file
 * in or out, apply retention by hand). Hidden from the main help; `repo-cloner storage --help` shows it.
 */
import { type Command, Option } from "commander";
import { basename } from "node:path";
import { pipeline } from "node:stream/promises";
import { UsageError, VerificationError } from "../errors.ts";
import {
  getToFile,
  hashObject,
  LocalStorage,
  openStorageObject,
  putFile,
  type S3Extras,
  type ServerSideEncryption,
  type Storage,
  StorageError,
  storageFromUrl,
} from "../storage/mod.ts";
import { type CommandContext, openContext } from "./context.ts";
import { globalsOf } from "./program.ts";
import { formatBytes, formatSeconds } from "./terminal.ts";

/** S3 connection flags every storage subcommand accepts. */
interface S3Flags {
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
  storageClass?: string;
  sse?: string;
  kmsKeyId?: string;
}

function withS3Flags(cmd: Command): Command {
  return cmd
    .option(
      "--endpoint <url>",
      "S3-compatible endpoint (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS)",
    )
    .option("--region <region>", "S3 region (default: AWS_REGION, the profile, us-east-1)")
    .option("--path-style", "path-style S3 addressing (default when an endpoint is set)")
    .option("--storage-class <class>", "storage class of uploaded objects, e.g. STANDARD_IA")
    .addOption(
      new Option("--sse <mode>", "server-side encryption").choices(["AES256", "aws:kms", "aws:kms:dsse"]),
    )
    .option("--kms-key-id <id>", "KMS key for --sse aws:kms");
}

function s3Extras(flags: S3Flags): S3Extras {
  return {
    endpoint: flags.endpoint,
    region: flags.region,
    forcePathStyle: flags.pathStyle,
    storageClass: flags.storageClass,
    serverSideEncryption: flags.sse as ServerSideEncryption | undefined,
    kmsKeyId: flags.kmsKeyId,
  };
}

function open(kind: string, cmd: Command, quiet = false): CommandContext {
  const globals = globalsOf(cmd);
  return openContext(`storage-${kind}`, quiet ? { ...globals, quiet: true } : globals);
}

/** Registers the hidden `storage` command group. */
export function registerStorageCommands(program: Command): void {
  const storage = program.command("storage", { hidden: true }).description(
    "list, inspect and move objects in archive storage (a directory or s3://bucket/prefix)",
  );

  withS3Flags(storage.command("ls").description("list the objects under a location"))
    .argument("<location>", "s3://bucket/prefix or a directory")
    .action(async (location: string, flags: S3Flags, cmd: Command) => {
      const ctx = open("ls", cmd);
      const store = storageFromUrl(location, { env: ctx.env, s3: s3Extras(flags) });
      const objects = await store.list();
      for (const o of objects) {
        const when = o.lastModified.toISOString().replace("T", " ").slice(0, 19);
        ctx.terminal.line(`${when}  ${formatBytes(o.size).padStart(10)}  ${o.key}`);
      }
      ctx.terminal.line(`${objects.length} object(s) in ${store.location}`);
      ctx.logger.child("storage").info("Storage listed", { url: store.location, objects: objects.length });
      ctx.terminal.result({ location: store.location, objects });
    });

  withS3Flags(storage.command("stat").description("show an object's size, recorded sha256 and time"))
    .argument("<url>", "s3://bucket/key or a file path")
    .option("--hash", "also read the object and check its sha256 (exit 3 on mismatch)")
    .action(async (url: string, flags: S3Flags & { hash?: boolean }, cmd: Command) => {
      const ctx = open("stat", cmd);
      const { storage: store, key } = openStorageObject(url, { env: ctx.env, s3: s3Extras(flags) });
      const info = await store.stat(key);
      if (!info) {
        throw new StorageError(`Cannot stat "${store.url(key)}": no such object`, { reason: "not_found" });
      }
      const t = ctx.terminal;
      t.line(`📄 ${store.url(key)}`);
      t.line(`   Size: ${formatBytes(info.size)} (${info.size} bytes)`);
      t.line(`   Modified: ${info.lastModified.toISOString()}`);
      t.line(`   sha256: ${info.sha256 ?? "(not recorded)"}`);
      if (info.storageClass) t.line(`   Storage class: ${info.storageClass}`);
      let actual: string | undefined;
      if (flags.hash) {
        actual = (await hashObject(store, key)).sha256;
        t.line(`   Read back: ${actual}`);
        if (info.sha256 && info.sha256 !== actual) {
          throw new VerificationError(
            `Cannot verify "${
              store.url(key)
            }": its content hashes to ${actual}, its metadata records ${info.sha256}`,
          );
        }
        if (info.sha256) t.line(`   ${t.style("green", "✓")} Content matches the recorded sha256`);
      }
      t.result({ url: store.url(key), ...info, read_back_sha256: actual });
    });

  withS3Flags(
    storage.command("put").description("upload a file (or stdin) atomically, sha256 recorded and checked"),
  )
    .argument("<file>", "local file, or - for stdin")
    .argument("<url>", "object URL, or a location ending in / to keep the file's name")
    .option("--sha256 <hex>", "expected sha256 of the content (required for stdin to S3)")
    .option("--read-back", "download the object again after the upload and compare hashes")
    .action(
      async (file: string, url: string, flags: S3Flags & { sha256?: string; readBack?: boolean }, cmd) => {
        const ctx = open("put", cmd);
        if (flags.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(flags.sha256)) {
          throw new UsageError(`Cannot use --sha256 "${flags.sha256}": expected 64 hex digits`);
        }
        if (url.endsWith("/")) {
          if (file === "-") {
            throw new UsageError(`Cannot upload stdin to "${url}": name the object, not a location`);
          }
          url += basename(file);
        }
        const { storage: store, key } = openStorageObject(url, { env: ctx.env, s3: s3Extras(flags) });
        const t = ctx.terminal;
        const log = ctx.logger.child("storage");
        t.line(`☁️  Uploading to ${store.kind} storage...`);
        const common = {
          sha256: flags.sha256?.toLowerCase(),
          verify: flags.readBack ? "read-back" as const : "head" as const,
          onProgress: (p: { bytes: number }) =>
            log.debug("Upload progress", { url: store.url(key), bytes: p.bytes }),
        };
        const result = file === "-"
          ? await putStdin(store, key, common)
          : await putFile(store, key, { ...common, file });
        t.line(`   ${t.style("green", "✓")} Uploaded to: ${result.url}`);
        t.line(`      Size: ${formatBytes(result.size)}`);
        t.line(`      sha256: ${result.sha256} (checked: ${result.verified})`);
        t.line(`      Duration: ${formatSeconds(result.durationMs)}`);
        log.info("Object uploaded", {
          url: result.url,
          size_bytes: result.size,
          sha256: result.sha256,
          verified: result.verified,
          duration_seconds: result.durationMs / 1000,
          status: "success",
        });
        t.result(result);
      },
    );

  withS3Flags(storage.command("get").description("download an object atomically, checked against its sha256"))
    .argument("<url>", "s3://bucket/key or a file path")
    .argument("<file>", "destination file, or - for stdout")
    .action(async (url: string, file: string, flags: S3Flags, cmd: Command) => {
      const ctx = open("get", cmd, file === "-");
      const { storage: store, key } = openStorageObject(url, { env: ctx.env, s3: s3Extras(flags) });
      if (file === "-") {
        await pipeline(await store.get(key), process.stdout);
        return;
      }
      const t = ctx.terminal;
      t.line(`📥 Downloading ${store.url(key)}...`);
      const started = performance.now();
      const got = await getToFile(store, key, { file });
      t.line(`   ${t.style("green", "✓")} Saved to: ${got.file}`);
      t.line(`      Size: ${formatBytes(got.size)}`);
      t.line(`      sha256: ${got.sha256}${got.checked ? " (matches the recorded sha256)" : ""}`);
      t.line(`      Duration: ${formatSeconds(performance.now() - started)}`);
      ctx.logger.child("storage").info("Object downloaded", {
        url: store.url(key),
        file: got.file,
        status: "success",
      });
      t.result(got);
    });

  withS3Flags(
    storage.command("retain").description("keep the newest N archives of a repository, delete older"),
  )
    .argument("<location>", "s3://bucket/prefix or a directory holding archives")
    .requiredOption("--repo <name>", "repository name as in <repo>-<type>-<stamp>.tar.gz")
    .requiredOption("--keep <n>", "how many archives to keep (incremental chains are kept whole)")
    .option("--dry-run", "only show what would be deleted")
    .action(
      async (location: string, flags: S3Flags & { repo: string; keep: string; dryRun?: boolean }, cmd) => {
        const ctx = open("retain", cmd);
        const keep = Number(flags.keep);
        if (!Number.isInteger(keep) || keep < 1) {
          throw new UsageError(
            `Cannot apply retention: --keep must be a whole number >= 1, got "${flags.keep}"`,
          );
        }
        const store = storageFromUrl(location, { env: ctx.env, s3: s3Extras(flags) });
        const r = await store.retain(flags.repo, keep, { dryRun: flags.dryRun });
        const t = ctx.terminal;
        for (const k of r.kept) t.line(`   keep    ${k}`);
        for (const k of r.deleted) t.line(`   ${flags.dryRun ? "would delete" : "deleted"} ${k}`);
        t.line(
          `${r.kept.length} kept, ${r.deleted.length} ${
            flags.dryRun ? "to delete" : "deleted"
          } in ${store.location}`,
        );
        ctx.logger.child("storage").info("Retention applied", {
          url: store.location,
          repository: flags.repo,
          kept: r.kept.length,
          deleted: r.deleted.length,
          dry_run: Boolean(flags.dryRun),
        });
        t.result(r);
      },
    );
}

/** stdin → storage. S3 needs the sha256 up front; local storage hashes as it writes. */
async function putStdin(store: Storage, key: string, options: Parameters<Storage["put"]>[2] & object) {
  if (!options.sha256 && !(store instanceof LocalStorage)) {
    throw new UsageError(
      `Cannot upload stdin to "${store.url(key)}": pass --sha256 (S3 records it before the upload)`,
    );
  }
  return await store.put(key, process.stdin, options);
}
