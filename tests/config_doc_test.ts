/**
 * docs/CONFIG.md cannot drift from the schema: every key of `configSchema` (walked through zod's
 * definitions: objects, optional/default wrappers, arrays as `[]`) has a table row, every row names a
 * key the schema has, and every default the schema sets is the one the row shows.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { configSchema } from "../src/config/schema.ts";

const DOC = resolve(import.meta.dirname ?? ".", "../docs/CONFIG.md");

/** The slice of zod's internal definition this walk reads. */
interface Def {
  type: string;
  shape?: Record<string, { _zod: { def: Def } }>;
  innerType?: { _zod: { def: Def } };
  element?: { _zod: { def: Def } };
  in?: { _zod: { def: Def } };
  options?: { _zod: { def: Def } }[];
  defaultValue?: unknown;
}

/** Every key path of the schema (containers too), with its default when the schema sets one. */
function schemaKeys(node: { _zod: { def: Def } }, path = "", out = new Map<string, unknown>()) {
  const d = node._zod.def;
  const add = (p: string) => {
    if (p && !out.has(p)) out.set(p, undefined);
  };
  switch (d.type) {
    case "object":
      add(path);
      for (const [k, v] of Object.entries(d.shape!)) schemaKeys(v, path ? `${path}.${k}` : k, out);
      return out;
    case "optional":
    case "nullable":
    case "readonly":
    case "prefault":
      return schemaKeys(d.innerType!, path, out);
    case "default": {
      const v = typeof d.defaultValue === "function" ? (d.defaultValue as () => unknown)() : d.defaultValue;
      schemaKeys(d.innerType!, path, out);
      out.set(path, v);
      return out;
    }
    case "array":
      return schemaKeys(d.element!, `${path}[]`, out);
    case "pipe":
      return schemaKeys(d.in!, path, out);
    case "union": {
      const objects = d.options!.filter((o) => o._zod.def.type === "object");
      if (objects.length === 0) add(path);
      for (const o of objects) schemaKeys(o, path, out);
      return out;
    }
    default:
      add(path);
      return out;
  }
}

/** `key → default cell` of every table row whose first cell is a backticked key. */
function documentedKeys(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readFileSync(DOC, "utf8").split("\n")) {
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    const m = /^`([a-z_]+(?:\[\])?(?:\.[a-z_]+(?:\[\])?)*)`$/.exec(cells[1] ?? "");
    if (!m) continue;
    assert.ok(!rows.has(m[1]), `docs/CONFIG.md lists "${m[1]}" twice`);
    rows.set(m[1], cells[3] ?? "");
  }
  return rows;
}

Deno.test("docs/CONFIG.md lists every schema key, no other, with the schema's defaults", () => {
  const schema = schemaKeys(configSchema as unknown as { _zod: { def: Def } });
  const doc = documentedKeys();
  // Containers whose children are all listed need no row of their own (e.g. `sources[]`, `logging`).
  const needed = [...schema.keys()].filter((k) =>
    ![...schema.keys()].some((c) => c.startsWith(`${k}.`)) || schema.get(k) !== undefined
  );
  const missing = needed.filter((k) => !doc.has(k));
  assert.deepEqual(missing, [], `add these keys to docs/CONFIG.md: ${missing.join(", ")}`);
  const unknown = [...doc.keys()].filter((k) => !schema.has(k));
  assert.deepEqual(unknown, [], `docs/CONFIG.md lists keys the schema does not have: ${unknown.join(", ")}`);
  for (const [key, value] of schema) {
    if (value === undefined || typeof value === "object") continue;
    const cell = doc.get(key) ?? "";
    assert.ok(
      cell.includes(`\`${String(value)}\``),
      `docs/CONFIG.md: "${key}" defaults to ${JSON.stringify(value)}, the row says "${cell}"`,
    );
  }
  assert.ok(doc.size > 100, `only ${doc.size} keys found: the table parser broke`);
});
