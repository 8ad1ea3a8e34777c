import { createHash } from "node:crypto";
import { createReadStream, readdirSync, statSync } from "node:fs";
import { join, posix, relative, sep } from "node:path";

/** sha256 (hex) and size of a file, read once as a stream. */
export function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    let size = 0;
    createReadStream(path)
      .on("data", (d) => {
        const b = d as Buffer;
        size += b.length;
        h.update(b);
      })
      .on("error", reject)
      .on("end", () => resolve({ sha256: h.digest("hex"), size }));
  });
}

/** Every regular file under `dir`, as POSIX paths relative to `base` (default `dir`), sorted. */
export function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 64) throw new RangeError(`Cannot list "${d}": directories nested too deep`);
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.isFile()) out.push(relative(base, p).split(sep).join(posix.sep));
    }
  };
  try {
    if (!statSync(dir).isDirectory()) return [];
  } catch {
    return [];
  }
  walk(dir, 0);
  return out.sort();
}

/** Quotes a value for a POSIX shell script. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A URL with any user name and password removed (for manifests and messages). */
export function stripCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, "//");
  }
}

/** Child environment: `env` without undefined values, with `overrides` applied. */
export function childEnv(
  env: Record<string, string | undefined>,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return { ...out, ...overrides };
}
