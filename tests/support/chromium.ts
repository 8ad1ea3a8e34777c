/**
 * Real headless Debian `chromium` driven over the DevTools protocol (a WebSocket on 127.0.0.1, no
 * library): open a page, record every network request, console message, exception and log entry,
 * read the rendered text, take a full-page screenshot and print to PDF.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What happened while a page loaded. */
export interface PageRecord {
  /** URLs of Network.requestWillBeSent, in order. */
  requests: string[];
  /** console.* calls (type and text). */
  console: { type: string; text: string }[];
  /** Uncaught exceptions. */
  exceptions: string[];
  /** Log.entryAdded entries (CSP violations, failed loads, …): level and text. */
  log: { level: string; text: string }[];
}

/** A page opened in Chromium. */
export interface ChromiumPage {
  record: PageRecord;
  /** Evaluates an expression in the page and returns its value (by value). */
  evaluate<T>(expression: string): Promise<T>;
  /** Full-page PNG. */
  screenshot(): Promise<Uint8Array>;
  /** The page printed to PDF (print media styles). */
  pdf(): Promise<Uint8Array>;
}

/** A running headless Chromium. */
export interface Chromium {
  open(url: string, options?: { width?: number }): Promise<ChromiumPage>;
  close(): Promise<void>;
}

// deno-lint-ignore no-explicit-any
type Params = Record<string, any>;

const STEP_MS = 50;
const MAX_STEPS = 1200; // 60 s for Chromium to start or a page to load

/** Starts `chromium --headless` with a throw-away profile and no background networking. */
export async function startChromium(): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), "rc-chromium-"));
  const child: ChildProcess = spawn("chromium", [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--metrics-recording-only",
    "--hide-scrollbars",
    `--user-data-dir=${profile}`,
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    "about:blank",
  ], { stdio: ["ignore", "ignore", "pipe"], detached: true });
  let stderr = "";
  child.stderr!.on("data", (d) => stderr = (stderr + d).slice(-8000));
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  const portFile = join(profile, "DevToolsActivePort");
  for (let i = 0; i < MAX_STEPS && !existsSync(portFile); i++) await sleep(STEP_MS);
  if (!existsSync(portFile)) {
    kill(child);
    throw new Error(`chromium did not start:\n${stderr}`);
  }
  let lines: string[] = [];
  for (let i = 0; i < MAX_STEPS && lines.length < 2; i++) {
    lines = readFileSync(portFile, "utf8").split("\n").filter(Boolean);
    if (lines.length < 2) await sleep(STEP_MS);
  }
  const cdp = await Cdp.connect(`ws://127.0.0.1:${lines[0]}${lines[1]}`);
  return {
    open: (url, options = {}) => openPage(cdp, url, options.width ?? 1280),
    close: async () => {
      cdp.close();
      kill(child);
      await exited;
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

async function openPage(cdp: Cdp, url: string, width: number): Promise<ChromiumPage> {
  const { targetId } = await cdp.send<{ targetId: string }>("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await cdp.send<{ sessionId: string }>("Target.attachToTarget", {
    targetId,
    flatten: true,
  });
  const record: PageRecord = { requests: [], console: [], exceptions: [], log: [] };
  let loaded = false;
  cdp.listen(sessionId, (method, params) => {
    const p = params as Params;
    if (method === "Network.requestWillBeSent") record.requests.push(p.request.url);
    if (method === "Runtime.consoleAPICalled") {
      record.console.push({
        type: p.type,
        text: p.args.map((a: Params) => a.value ?? a.description).join(" "),
      });
    }
    if (method === "Runtime.exceptionThrown") record.exceptions.push(p.exceptionDetails.text);
    if (method === "Log.entryAdded") record.log.push({ level: p.entry.level, text: p.entry.text });
    if (method === "Page.loadEventFired") loaded = true;
  });
  const s = (method: string, params: Record<string, unknown> = {}) => cdp.send(method, params, sessionId);
  for (const domain of ["Page", "Network", "Runtime", "Log"]) await s(`${domain}.enable`);
  await s("Emulation.setDeviceMetricsOverride", { width, height: 900, deviceScaleFactor: 1, mobile: false });
  await s("Page.navigate", { url });
  for (let i = 0; i < MAX_STEPS && !loaded; i++) await sleep(STEP_MS);
  if (!loaded) throw new Error(`page did not load: ${url}`);
  await sleep(200); // let late console messages or requests arrive
  return {
    record,
    evaluate: async <T>(expression: string) => {
      const r = await s("Runtime.evaluate", { expression, returnByValue: true }) as { result: { value: T } };
      return r.result.value;
    },
    screenshot: async () => {
      const r = await s("Page.captureScreenshot", { format: "png", captureBeyondViewport: true }) as {
        data: string;
      };
      return Uint8Array.from(atob(r.data), (c) => c.charCodeAt(0));
    },
    pdf: async () => {
      const r = await s("Page.printToPDF", { printBackground: true }) as { data: string };
      return Uint8Array.from(atob(r.data), (c) => c.charCodeAt(0));
    },
  };
}

/** A minimal DevTools protocol client over the built-in WebSocket. */
class Cdp {
  #ws: WebSocket;
  #next = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #listeners = new Map<string, (method: string, params: unknown) => void>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data));
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`${msg.error.message} (${msg.error.code})`));
        else p?.resolve(msg.result);
      } else if (msg.sessionId) this.#listeners.get(msg.sessionId)?.(msg.method, msg.params);
    };
    ws.onclose = () => {
      for (const p of this.#pending.values()) p.reject(new Error("DevTools connection closed"));
      this.#pending.clear();
    };
  }

  static connect(url: string): Promise<Cdp> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => resolve(new Cdp(ws));
      ws.onerror = (e) => reject(new Error(`cannot connect to ${url}: ${(e as ErrorEvent).message}`));
    });
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  listen(sessionId: string, fn: (method: string, params: unknown) => void): void {
    this.#listeners.set(sessionId, fn);
  }

  close(): void {
    this.#ws.close();
  }
}

function kill(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
