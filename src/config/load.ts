import { readFileSync } from "node:fs";
import { isMap, isSeq, LineCounter, type Node as YamlNode, parseDocument } from "yaml";
import { UsageError } from "../errors.ts";
import { redactor } from "../log/redact.ts";
import { type ConfigFile, configSchema } from "./schema.ts";

/**
 * Replaces `${NAME}` and `${NAME:-default}` in a string from `env`. An unset variable without a
 * default is an error naming it, so a token never silently becomes empty.
 */
export function substituteEnv(text: string, env: Record<string, string | undefined>, where: string): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, def?: string) => {
    const v = env[name];
    if (v !== undefined && v !== "") return v;
    if (def !== undefined) return def;
    throw new UsageError(
      `Cannot load config ${where}: environment variable ${name} is not set. Export it or remove the reference`,
    );
  });
}

/**
 * Loads and validates a YAML config file. Errors name the key, file and line. Every string value
 * named `token`, `password`, `integration_key` or `webhook_url` is registered for redaction.
 * @throws UsageError for a missing file, bad YAML, unknown keys or wrong types.
 */
export function loadConfigFile(
  path: string,
  env: Record<string, string | undefined> = process.env,
): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`Cannot read config file "${path}": ${(e as Error).message}`, { cause: e });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    throw new UsageError(
      `Cannot parse config file "${path}"${pos ? ` line ${pos.line}` : ""}: ${e.message.split("\n")[0]}`,
    );
  }
  const raw = doc.toJS() ?? {};
  const substituted = substituteDeep(raw, env, path);
  const parsed = configSchema.safeParse(substituted);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    let keyPath = issue.path.map(String);
    if (issue.code === "unrecognized_keys") keyPath = [...keyPath, String(issue.keys[0])];
    const node = nodeAt(doc.contents as YamlNode | null, keyPath, issue.code === "unrecognized_keys");
    const line = node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
    const key = keyPath.join(".") || "(root)";
    const what = issue.code === "unrecognized_keys"
      ? `unknown key "${key}"`
      : `key "${key}": ${issue.message}`;
    throw new UsageError(`Cannot load config file "${path}"${line ? ` line ${line}` : ""}: ${what}`);
  }
  registerSecrets(parsed.data);
  return parsed.data;
}

function substituteDeep(value: unknown, env: Record<string, string | undefined>, where: string): unknown {
  if (typeof value === "string") return substituteEnv(value, env, where);
  if (Array.isArray(value)) return value.map((v) => substituteDeep(v, env, where));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteDeep(v, env, where)]));
  }
  return value;
}

function nodeAt(root: YamlNode | null, path: string[], wantKey: boolean): YamlNode | undefined {
  let node: YamlNode | null | undefined = root;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value ?? p.key) === seg);
      if (!pair) return node;
      node = (i === path.length - 1 && wantKey ? pair.key : pair.value) as YamlNode;
    } else if (isSeq(node)) {
      node = node.items[Number(seg)] as YamlNode;
    } else return node ?? undefined;
  }
  return node ?? undefined;
}

const SECRET_KEYS = /^(token|password|secret|integration_key|webhook_url|routing_key|secret_access_key)$/i;

/** Registers every secret-looking value of a config with the redactor. */
export function registerSecrets(value: unknown, key = ""): void {
  if (typeof value === "string" && SECRET_KEYS.test(key)) redactor.add(value);
  else if (Array.isArray(value)) value.forEach((v) => registerSecrets(v, key));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) registerSecrets(v, k);
  }
}
