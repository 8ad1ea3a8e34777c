import { z } from "zod";
import { errorHandlingSchema, integrationsSchema, metricsSchema } from "./ops_schema.ts";

/** Log settings (spec: logging.*). */
const logging = z.strictObject({
  level: z.string().default("INFO"),
  format: z.enum(["json", "text"]).default("json"),
  output: z.strictObject({
    console: z.boolean().default(true),
    file: z.string().optional(),
  }).default({ console: true }),
  integrations: integrationsSchema.optional(),
});

const source = z.strictObject({
  type: z.enum(["gitlab", "github"]),
  url: z.string().optional(),
  api_url: z.string().optional(),
  token: z.string().optional(),
  groups: z.array(z.string()).optional(),
  organizations: z.array(z.string()).optional(),
  repositories: z.array(z.string()).optional(),
  include_archived: z.boolean().default(false),
});

const target = z.strictObject({
  type: z.enum(["github", "gitlab", "git", "s3"]),
  name: z.string().optional(),
  url: z.string().optional(),
  api_url: z.string().optional(),
  organization: z.string().optional(),
  namespace: z.string().optional(),
  token: z.string().optional(),
  username: z.string().optional(),
  visibility: z.enum(["private", "internal", "public"]).optional(),
  prune: z.boolean().optional(),
  bucket: z.string().optional(),
  region: z.string().optional(),
  prefix: z.string().optional(),
  endpoint: z.string().optional(),
  force_path_style: z.boolean().optional(),
  storage_class: z.string().optional(),
  server_side_encryption: z.string().optional(),
  kms_key_id: z.string().optional(),
  retention: z.number().int().positive().optional(),
  /** s3 targets: "incremental" (default: against the last archive uploaded, full when none) or "full". */
  archive_type: z.enum(["full", "incremental"]).optional(),
});

const archive = z.strictObject({
  type: z.enum(["full", "incremental"]).default("full"),
  output_path: z.string().optional(),
  base_archive: z.string().optional(),
  include_dependencies: z.boolean().optional(),
  include_lfs: z.boolean().default(true),
  max_size: z.union([z.string(), z.number()]).optional(),
  split_size: z.union([z.string(), z.number()]).optional(),
  storage: z.strictObject({
    type: z.enum(["local", "s3"]).default("local"),
    path: z.string().optional(),
  }).optional(),
});

/** The whole configuration file. Unknown keys are errors. */
export const configSchema = z.strictObject({
  logging: logging.optional(),
  sources: z.array(source).optional(),
  targets: z.array(target).optional(),
  sync: z.strictObject({
    mode: z.enum(["one-way", "mirror", "bidirectional"]).default("one-way"),
    conflict_resolution: z.enum(["fail", "fail_fast", "source_wins", "target_wins"]).default("fail"),
    propagate_deletes: z.boolean().default(false),
    prune: z.boolean().default(false),
    state_dir: z.string().optional(),
    cache_dir: z.string().optional(),
    /** Scheduled mode (`sync --every`): the interval between cycle starts, e.g. `15m`. */
    every: z.string().optional(),
  }).optional(),
  concurrency: z.strictObject({
    max_parallel: z.number().int().positive().optional(),
    timeout_per_repo_seconds: z.number().positive().optional(),
    max_retries: z.number().int().min(0).optional(),
    retry_backoff_seconds: z.number().min(0).optional(),
  }).optional(),
  repositories: z.array(z.strictObject({
    source: z.string(),
    target: z.string().optional(),
    shallow_clone_depth: z.number().int().positive().optional(),
    exclude: z.boolean().optional(),
  })).optional(),
  archive: archive.optional(),
  restore: z.strictObject({
    output_path: z.string().optional(),
    target_url: z.string().optional(),
    install_dependencies: z.boolean().optional(),
  }).optional(),
  error_handling: errorHandlingSchema.optional(),
  metrics: metricsSchema.optional(),
  /** Archive authenticity (`archive verify|restore`): signature policy and the trusted minisign key. */
  verify: z.strictObject({
    signature: z.enum(["always", "if-present", "never"]).optional(),
    trusted_key: z.string().optional(),
    allow_legacy_signature: z.boolean().optional(),
  }).optional(),
});

/** A validated configuration file. */
export type ConfigFile = z.infer<typeof configSchema>;
