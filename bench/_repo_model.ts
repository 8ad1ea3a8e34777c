import type { FastImport } from "./_fast_import.ts";
import { Prng } from "./_prng.ts";

/**
 * The content model of the benchmark repository: per branch, a set of text source files (some change
 * in every commit, so history compresses as deltas like real code) and a set of binary assets made of
 * seeded random bytes (incompressible, so the pack really reaches the requested size).
 */

/** Probability that a commit also adds, replaces or deletes a binary asset. */
export const BINARY_RATE = 0.1;
/** Number of text files in the initial commit. */
export const TEXT_FILES = 240;
const TEXT_DIRS = 12;
const MAX_LINES = 160;
const EPOCH = 1577836800; // 2020-01-01T00:00:00Z
const WORDS = (
  "alpha beta gamma delta archive bundle mirror verify restore token stream manifest branch commit object " +
  "packet buffer reader writer index config logger remote target source digest chunk offset length cursor"
).split(" ");
const KEYWORDS = ["const", "let", "return", "if", "await", "export const", "yield"];
const PEOPLE = [
  ["Ada Lovelace", "ada@example.com"],
  ["Grace Hopper", "grace@example.com"],
  ["Linus Torvalds", "linus@example.com"],
  ["Zoë Ångström", "zoe@example.com"],
  ["Ken Thompson", "ken@example.com"],
] as const;

/** Mutable state of one branch. */
interface BranchState {
  text: Map<string, string[]>;
  binaries: string[];
  /** `from` to emit with the next commit (fork point or existing tip), then null. */
  pendingFrom: string | null;
}

/** Options of {@link RepoModel}. */
export interface RepoModelOptions {
  /** Seed of every random choice. */
  seed: number;
  /** Mean size of one binary asset in bytes. */
  binaryMean: number;
  /** First binary asset id (add mode starts high so new assets never repeat old ones). Default 0. */
  binaryIdBase?: number;
}

/** Generates commits into a fast-import stream; deterministic for a given seed and call sequence. */
export class RepoModel {
  readonly #prng: Prng;
  readonly #seed: number;
  readonly #binaryMean: number;
  readonly #branches = new Map<string, BranchState>();
  #mark = 0;
  #binaryCount = 0;
  /** Bytes of random data written so far. */
  randomBytes = 0;

  constructor(options: RepoModelOptions) {
    this.#seed = options.seed;
    this.#binaryMean = options.binaryMean;
    this.#prng = new Prng(options.seed, 0x5eed);
    this.#binaryCount = options.binaryIdBase ?? 0;
  }

  /** Starts `branch` with an initial tree of {@link TEXT_FILES} text files. */
  initBranch(branch: string): void {
    const text = new Map<string, string[]>();
    for (let f = 0; f < TEXT_FILES; f++) {
      const lines: string[] = [];
      const n = this.#prng.range(40, 120);
      for (let i = 0; i < n; i++) lines.push(this.#line());
      text.set(`src/${WORDS[f % TEXT_DIRS]}/${WORDS[(f * 7) % WORDS.length]}_${f}.ts`, lines);
    }
    this.#branches.set(branch, { text, binaries: [], pendingFrom: null });
  }

  /** Adopts an existing branch state (add mode): its text files, binary paths and tip. */
  adoptBranch(
    branch: string,
    state: { text: Map<string, string[]>; binaries: string[]; from: string },
  ): void {
    this.#branches.set(branch, { text: state.text, binaries: state.binaries, pendingFrom: state.from });
  }

  /** Creates `branch` from the current state of `parent`, forking at the commit with `parentMark`. */
  fork(branch: string, parent: string, parentMark: number): void {
    const p = this.#branches.get(parent)!;
    const text = new Map([...p.text].map(([k, v]) => [k, [...v]]));
    this.#branches.set(branch, { text, binaries: [...p.binaries], pendingFrom: `:${parentMark}` });
  }

  /** True when `branch` exists in the model. */
  has(branch: string): boolean {
    return this.#branches.has(branch);
  }

  /**
   * Emits one commit on `branch` (global commit number `index`, which fixes its timestamp) and
   * returns its mark. The first commit of a branch writes every text file.
   */
  async commit(out: FastImport, branch: string, index: number, options: { initial?: boolean } = {}) {
    const state = this.#branches.get(branch)!;
    const mark = ++this.#mark;
    const [name, email] = this.#prng.pick(PEOPLE);
    const ts = EPOCH + index * 131;
    const subject = `${this.#prng.pick(["Fix", "Add", "Refactor", "Update", "Document"])} ${
      this.#prng.pick(WORDS)
    } ${this.#prng.pick(WORDS)} (#${index})`;
    await out.text(`commit refs/heads/${branch}\nmark :${mark}\n`);
    await out.text(`author ${name} <${email}> ${ts} +0000\ncommitter ${name} <${email}> ${ts} +0000\n`);
    await out.data(`${subject}\n\nChange ${index} on ${branch}.\n`);
    if (state.pendingFrom) await out.text(`from ${state.pendingFrom}\n`);
    state.pendingFrom = null;
    if (options.initial) {
      for (const [path, lines] of state.text) await this.#writeText(out, path, lines);
    } else {
      const touched = this.#prng.range(1, 3);
      for (let i = 0; i < touched; i++) {
        const [path, lines] = [...state.text][this.#prng.int(state.text.size)];
        this.#mutate(lines);
        await this.#writeText(out, path, lines);
      }
    }
    if (this.#prng.float() < BINARY_RATE) await this.#binary(out, state);
    return mark;
  }

  /** Emits an annotated tag (`annotated`) or a lightweight one on commit `mark`. */
  async tag(out: FastImport, name: string, mark: number | string, annotated: boolean, index: number) {
    const from = typeof mark === "number" ? `:${mark}` : mark;
    if (!annotated) return await out.text(`reset refs/tags/${name}\nfrom ${from}\n\n`);
    await out.text(
      `tag ${name}\nfrom ${from}\ntagger Release Bot <release@example.com> ${EPOCH + index * 131} +0000\n`,
    );
    await out.data(`Release ${name}\n`);
  }

  async #writeText(out: FastImport, path: string, lines: string[]) {
    await out.text(`M 100644 inline ${path}\n`);
    await out.data(lines.join("\n") + "\n");
  }

  async #binary(out: FastImport, state: BranchState) {
    const roll = this.#prng.float();
    if (state.binaries.length > 4 && roll < 0.05) {
      const at = this.#prng.int(state.binaries.length);
      await out.text(`D ${state.binaries[at]}\n`);
      state.binaries.splice(at, 1);
      return;
    }
    const size = Math.max(1, Math.round(this.#binaryMean * (0.25 + 1.5 * this.#prng.float())));
    const id = this.#binaryCount++;
    let path: string;
    if (state.binaries.length > 0 && roll < 0.35) path = this.#prng.pick(state.binaries);
    else {
      path = `assets/${WORDS[id % 16]}/asset_${id}.bin`;
      state.binaries.push(path);
    }
    // Each blob's bytes come from their own stream so that sizes and order stay independent.
    const bytes = new Prng(this.#seed, 0xb10b, id, size).fill(new Uint8Array(size));
    this.randomBytes += size;
    await out.text(`M 100644 inline ${path}\n`);
    await out.data(bytes);
  }

  #mutate(lines: string[]) {
    const edits = this.#prng.range(1, 4);
    for (let e = 0; e < edits; e++) {
      const r = this.#prng.float();
      const at = this.#prng.int(lines.length);
      if (r < 0.2 && lines.length < MAX_LINES) lines.splice(at, 0, this.#line());
      else if (r < 0.3 && lines.length > 10) lines.splice(at, 1);
      else lines[at] = this.#line();
    }
  }

  #line(): string {
    const p = this.#prng;
    const w = () => p.pick(WORDS);
    return `${"  ".repeat(p.int(4))}${p.pick(KEYWORDS)} ${w()}_${p.int(1000)} = ${w()}(${w()}, ${
      p.int(100)
    }); // ${w()} ${w()}`;
  }
}
