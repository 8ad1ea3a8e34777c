/**
 * Git bundle header parser, v2 and v3 (gitformat-bundle(5)), pure TypeScript and streaming:
 *
 *     # v3 git bundle            signature ("# v2 git bundle" has no capabilities)
 *     @object-format=sha256      capabilities (v3 only): object-format, filter
 *     -<oid> <comment>           prerequisites: objects the receiver must already have
 *     <oid> <refname>            references carried
 *     (blank line)               then the pack
 *
 * The header is bounded ({@link MAX_BUNDLE_HEADER_BYTES}, {@link MAX_BUNDLE_LINE_BYTES}); malformed
 * input throws `SyntaxError` naming the line.
 */

/** Object id hash of the repository the bundle came from. */
export type ObjectFormat = "sha1" | "sha256";

/** One reference in a bundle. */
export interface BundleRef {
  name: string;
  oid: string;
}

/** One prerequisite: an object the receiving repository must already have. */
export interface BundlePrerequisite {
  oid: string;
  /** Free text git writes after the id (the commit subject); may be empty. */
  comment: string;
}

/** A parsed bundle header. */
export interface BundleHeader {
  version: 2 | 3;
  objectFormat: ObjectFormat;
  /** The `@filter=` capability of a partial bundle, when present. */
  filter?: string;
  prerequisites: BundlePrerequisite[];
  refs: BundleRef[];
  /** Header length in bytes, blank line included: the pack starts at this offset. */
  length: number;
}

/** Largest header accepted (about 200,000 refs). */
export const MAX_BUNDLE_HEADER_BYTES = 32 * 1024 * 1024;
/** Longest header line accepted (prerequisite comments are commit subjects). */
export const MAX_BUNDLE_LINE_BYTES = 1024 * 1024;

const HEX_LENGTH: Record<ObjectFormat, number> = { sha1: 40, sha256: 64 };
const utf8Strict = new TextDecoder("utf-8", { fatal: true });
const utf8 = new TextDecoder("utf-8");

/**
 * True when `name` is a reference name git accepts (git-check-ref-format(1)) under `refs/`, or `HEAD`.
 * Non-ASCII names are fine; control characters, spaces, `~^:?*[\`, `..`, `@{`, `//`, a leading or
 * trailing `/`, a trailing `.`, components starting with `.` or ending in `.lock` are not.
 */
export function isValidRefName(name: string): boolean {
  if (name === "HEAD") return true;
  if (!name.startsWith("refs/") || name.endsWith("/") || name.endsWith(".")) return false;
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(name) || name.includes("..") || name.includes("@{")) return false;
  return name.split("/").every((c) => c.length > 0 && !c.startsWith(".") && !c.endsWith(".lock"));
}

/**
 * Incremental header parser: feed chunks with {@link BundleHeaderParser.push} until it returns the
 * offset (within that chunk) where the pack begins; then read {@link BundleHeaderParser.header}.
 */
export class BundleHeaderParser {
  #partial: Uint8Array[] = [];
  #partialBytes = 0;
  #total = 0;
  #lineNo = 0;
  #stage: "signature" | "capabilities" | "body" | "done" = "signature";
  #version: 2 | 3 = 2;
  #format: ObjectFormat = "sha1";
  #formatSeen = false;
  #filter?: string;
  #prerequisites: BundlePrerequisite[] = [];
  #refs: BundleRef[] = [];
  #names = new Set<string>();
  #prereqOids = new Set<string>();

  /** True once the blank line ending the header was read. */
  get done(): boolean {
    return this.#stage === "done";
  }

  /** The parsed header; throws `SyntaxError` when the header is not complete yet. */
  get header(): BundleHeader {
    if (!this.done) throw new SyntaxError("bundle header is incomplete (no blank line before the pack)");
    return {
      version: this.#version,
      objectFormat: this.#format,
      ...(this.#filter === undefined ? {} : { filter: this.#filter }),
      prerequisites: this.#prerequisites,
      refs: this.#refs,
      length: this.#total,
    };
  }

  /**
   * Feeds the next bytes. Returns the offset in `chunk` just past the header's blank line once the
   * header is complete (the rest of `chunk` is pack data), or `undefined` when more bytes are needed.
   */
  push(chunk: Uint8Array): number | undefined {
    if (this.done) return 0;
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (this.#partialBytes + end - start > MAX_BUNDLE_LINE_BYTES) {
        throw new SyntaxError(
          `bundle header line ${this.#lineNo + 1} is longer than ${MAX_BUNDLE_LINE_BYTES} bytes`,
        );
      }
      if (this.#total + end - start + 1 > MAX_BUNDLE_HEADER_BYTES) {
        throw new SyntaxError(`bundle header is larger than ${MAX_BUNDLE_HEADER_BYTES} bytes`);
      }
      if (nl === -1) {
        this.#partial.push(chunk.slice(start));
        this.#partialBytes += chunk.length - start;
        this.#total += chunk.length - start;
        this.#checkSignaturePrefix();
        return undefined;
      }
      let line = chunk.subarray(start, nl);
      if (this.#partial.length) {
        this.#partial.push(line);
        line = concat(this.#partial, this.#partialBytes + line.length);
        this.#partial = [];
        this.#partialBytes = 0;
      }
      this.#total += nl - start + 1;
      start = nl + 1;
      this.#line(line);
      if (this.done) return start;
    }
    return undefined;
  }

  /** Fails early on input that cannot become a signature line (a non-bundle file). */
  #checkSignaturePrefix(): void {
    if (this.#stage !== "signature") return;
    const seen = utf8.decode(concat(this.#partial, this.#partialBytes).subarray(0, 16));
    if (
      !"# v2 git bundle".startsWith(seen.slice(0, 15)) && !"# v3 git bundle".startsWith(seen.slice(0, 15))
    ) {
      throw new SyntaxError('not a git bundle (no "# v2 git bundle" or "# v3 git bundle" signature)');
    }
  }

  #line(bytes: Uint8Array): void {
    this.#lineNo++;
    const at = `bundle header line ${this.#lineNo}`;
    if (this.#stage === "signature") {
      const text = utf8.decode(bytes);
      if (text === "# v2 git bundle") this.#version = 2;
      else if (text === "# v3 git bundle") this.#version = 3;
      else throw new SyntaxError('not a git bundle (no "# v2 git bundle" or "# v3 git bundle" signature)');
      this.#stage = this.#version === 3 ? "capabilities" : "body";
      return;
    }
    if (bytes.length === 0) {
      this.#stage = "done";
      return;
    }
    if (bytes[0] === 0x40 /* @ */) {
      if (this.#stage !== "capabilities") {
        throw new SyntaxError(`${at}: capability after references or in a v2 bundle`);
      }
      this.#capability(ascii(bytes.subarray(1)), at);
      return;
    }
    this.#stage = "body";
    const hexLength = HEX_LENGTH[this.#format];
    if (bytes[0] === 0x2d /* - */) {
      const oid = ascii(bytes.subarray(1, 1 + hexLength));
      if (!isHex(oid, hexLength)) throw new SyntaxError(`${at}: malformed prerequisite object id`);
      if (bytes.length > 1 + hexLength && bytes[1 + hexLength] !== 0x20) {
        throw new SyntaxError(`${at}: malformed prerequisite line`);
      }
      if (this.#prereqOids.has(oid)) throw new SyntaxError(`${at}: prerequisite ${oid} listed twice`);
      this.#prereqOids.add(oid);
      this.#prerequisites.push({ oid, comment: utf8.decode(bytes.subarray(2 + hexLength)) });
      return;
    }
    const oid = ascii(bytes.subarray(0, hexLength));
    if (!isHex(oid, hexLength) || bytes[hexLength] !== 0x20) {
      throw new SyntaxError(
        `${at}: malformed reference line (expected "<${this.#format} object id> <refname>")`,
      );
    }
    let name: string;
    try {
      name = utf8Strict.decode(bytes.subarray(hexLength + 1));
    } catch {
      throw new SyntaxError(`${at}: reference name is not valid UTF-8`);
    }
    if (!isValidRefName(name)) throw new SyntaxError(`${at}: invalid reference name ${JSON.stringify(name)}`);
    if (this.#names.has(name)) throw new SyntaxError(`${at}: reference ${JSON.stringify(name)} listed twice`);
    this.#names.add(name);
    this.#refs.push({ name, oid });
  }

  #capability(text: string, at: string): void {
    const eq = text.indexOf("=");
    const key = eq === -1 ? text : text.slice(0, eq);
    const value = eq === -1 ? undefined : text.slice(eq + 1);
    if (key === "object-format") {
      if (this.#formatSeen) throw new SyntaxError(`${at}: object-format given twice`);
      if (value !== "sha1" && value !== "sha256") {
        throw new SyntaxError(`${at}: unknown object format ${JSON.stringify(value ?? "")}`);
      }
      this.#format = value;
      this.#formatSeen = true;
    } else if (key === "filter") {
      if (!value || this.#filter !== undefined) throw new SyntaxError(`${at}: malformed filter capability`);
      this.#filter = value;
    } else {
      throw new SyntaxError(`${at}: unknown capability ${JSON.stringify(key)}`);
    }
  }
}

/** Parses a complete header from `bytes` (which may continue with the pack). Throws `SyntaxError`. */
export function parseBundleHeader(bytes: Uint8Array): BundleHeader {
  const parser = new BundleHeaderParser();
  parser.push(bytes);
  return parser.header;
}

function isHex(s: string, length: number): boolean {
  if (s.length !== length) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

function ascii(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p.subarray(0, total - at), at);
    at += p.length;
    if (at >= total) break;
  }
  return out;
}
