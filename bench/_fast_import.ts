import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";

/**
 * A running `git fast-import` fed through its stdin, with backpressure: the generator never holds more
 * than one buffered chunk plus one blob in memory, whatever the repository size.
 */
export class FastImport {
  #child: ChildProcess;
  #parts: Uint8Array[] = [];
  #buffered = 0;
  #stderr = "";
  #enc = new TextEncoder();
  #exit: Promise<number>;

  /** Starts `git fast-import` in the bare repository `gitDir`. */
  constructor(gitDir: string) {
    this.#child = spawn("git", ["--git-dir", gitDir, "fast-import", "--quiet", "--done"], {
      stdio: ["pipe", "ignore", "pipe"],
    });
    this.#child.stderr!.on("data", (d: Uint8Array) => {
      this.#stderr = (this.#stderr + new TextDecoder().decode(d)).slice(-4000);
    });
    this.#exit = new Promise((resolve, reject) => {
      this.#child.on("error", reject);
      this.#child.on("close", (code) => resolve(code ?? 1));
    });
    this.#child.stdin!.on("error", () => {/* reported through the exit code */});
  }

  /** Queues text (UTF-8). */
  async text(s: string): Promise<void> {
    await this.bytes(this.#enc.encode(s));
  }

  /** Queues a `data <n>` block holding `payload`. */
  async data(payload: Uint8Array | string): Promise<void> {
    const bytes = typeof payload === "string" ? this.#enc.encode(payload) : payload;
    await this.text(`data ${bytes.byteLength}\n`);
    await this.bytes(bytes);
    await this.text("\n");
  }

  /** Queues raw bytes; flushes once 1 MiB is buffered. */
  async bytes(b: Uint8Array): Promise<void> {
    this.#parts.push(b);
    this.#buffered += b.byteLength;
    if (this.#buffered >= 1 << 20) await this.flush();
  }

  /** Writes everything buffered, waiting for the pipe to drain. */
  async flush(): Promise<void> {
    if (this.#buffered === 0) return;
    const chunk = new Uint8Array(this.#buffered);
    let at = 0;
    for (const p of this.#parts) {
      chunk.set(p, at);
      at += p.byteLength;
    }
    this.#parts = [];
    this.#buffered = 0;
    const stdin = this.#child.stdin!;
    if (!stdin.write(chunk)) {
      await Promise.race([once(stdin, "drain"), this.#exit.then((c) => this.#fail(c))]);
    }
  }

  /** Ends the stream with `done` and waits for fast-import to finish; throws on failure. */
  async finish(): Promise<void> {
    await this.text("done\n");
    await this.flush();
    this.#child.stdin!.end();
    const code = await this.#exit;
    if (code !== 0) this.#fail(code);
  }

  #fail(code: number): never {
    throw new Error(
      `Cannot import the benchmark repository: git fast-import exited with ${code}: ${this.#stderr}`,
    );
  }
}
