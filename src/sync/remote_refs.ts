import { AuthError, RepoClonerError, TransientError } from "../errors.ts";
import { git, type GitAuth } from "../git/git.ts";
import type { ModuleLogger } from "../log/logger.ts";
import { redactor } from "../log/redact.ts";
import { retryAfterMs } from "../platforms/http_error.ts";
import { isSyncedRef, parseLsRemote, type RefMap } from "./refs.ts";

/** Options of {@link listRemoteRefs}. */
export interface ListRefsOptions {
  auth?: GitAuth;
  /** Give up (TransientError "Network timeout") after this many ms. */
  timeoutMs: number;
  /** Names the side and its token in auth errors: `the target GitHub at … (token from …)`. */
  who: string;
  logger?: ModuleLogger;
  /** fetch, for tests. Default the global one. */
  fetch?: typeof fetch;
  /** Cancels the listing (SIGTERM): the request is aborted, or the `git ls-remote` killed. */
  signal?: AbortSignal;
}

/** Thrown inside {@link listRemoteRefs} when the server is not a smart-HTTP git server we understand. */
class NotSmart extends Error {}

const LIST_CAP_MS = 120_000;

/**
 * The branches and tags of a remote: `git ls-remote --heads --tags` done in-process for http(s) URLs
 * (smart HTTP protocol v2 `ls-refs` with `ref-prefix refs/heads/`, `refs/tags/` and `peel`, sent
 * directly — one request — and after `GET info/refs` when the server needs that; a protocol v0
 * advertisement is parsed as is). No process is spawned, which
 * makes the no-change check of a scheduled run cheap; the token goes in an Authorization header,
 * the same way and to the same host as the REST calls. Anything unexpected (other schemes,
 * redirects, dumb servers) falls back to `git ls-remote`.
 * @throws AuthError (401/403), TransientError (5xx, 429, timeouts, resets), RepoClonerError (404…).
 */
export async function listRemoteRefs(url: string, options: ListRefsOptions): Promise<RefMap> {
  if (!/^https?:\/\//i.test(url)) return await viaGit(url, options);
  const ctrl = new AbortController();
  const ms = Math.max(1, Math.min(options.timeoutMs, LIST_CAP_MS));
  const timer = setTimeout(() => ctrl.abort(), ms);
  const cancel = () => ctrl.abort();
  options.signal?.addEventListener("abort", cancel, { once: true });
  if (options.signal?.aborted) ctrl.abort();
  const cancelled = () =>
    options.signal?.aborted
      ? new RepoClonerError(`Cannot finish listing the refs of ${redactor.redact(url)}: aborted`)
      : undefined;
  const f = options.fetch ?? fetch;
  const headers: Record<string, string> = { "git-protocol": "version=2", "user-agent": "git/repo-cloner" };
  if (options.auth) {
    redactor.add(options.auth.token);
    const basic = Buffer.from(`${options.auth.username ?? "x-access-token"}:${options.auth.token}`).toString(
      "base64",
    );
    redactor.add(basic);
    headers.authorization = `Basic ${basic}`;
  }
  const base = url.replace(/\/+$/, "");
  const call = async (path: string, init: RequestInit = {}): Promise<Uint8Array> => {
    let res: Response;
    try {
      res = await f(`${base}${path}`, {
        ...init,
        headers: { ...headers, ...(init.headers ?? {}) },
        redirect: "manual",
        signal: ctrl.signal,
      });
    } catch (e) {
      if (ctrl.signal.aborted) {
        throw cancelled() ?? new TransientError(
          `Network timeout: listing the refs of ${redactor.redact(url)} did not finish in ${ms} ms`,
        );
      }
      throw new TransientError(
        `Connection failed while listing the refs of ${redactor.redact(url)}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    const status = res.status;
    const h: Record<string, string> = {};
    res.headers.forEach((v, k) => h[k] = v);
    if (status === 401 || status === 403) {
      await res.body?.cancel();
      throw new AuthError(
        `Cannot authenticate to ${options.who}: the server rejected the token (HTTP ${status}) while listing the refs of ${
          redactor.redact(url)
        }`,
      );
    }
    if (status === 429 || status >= 500) {
      await res.body?.cancel();
      throw new TransientError(
        `Transient network error: HTTP ${status} while listing the refs of ${redactor.redact(url)}`,
        {
          retryAfterMs: retryAfterMs(h),
        },
      );
    }
    if (status === 404) {
      await res.body?.cancel();
      throw new RepoClonerError(
        `Cannot list the refs of ${redactor.redact(url)}: repository not found (HTTP 404)`,
        {
          errorType: "NotFound",
        },
      );
    }
    if (status !== 200) {
      await res.body?.cancel();
      throw new NotSmart(`HTTP ${status}`);
    }
    try {
      return new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      if (ctrl.signal.aborted) {
        throw cancelled() ?? new TransientError(
          `Network timeout: listing the refs of ${redactor.redact(url)} did not finish in ${ms} ms`,
        );
      }
      throw new TransientError(`Connection reset while listing the refs of ${redactor.redact(url)}`, {
        cause: e,
      });
    }
  };
  const lsRefs = async () => {
    const body = pkt("command=ls-refs\n") + "0001" + pkt("peel\n") + pkt("ref-prefix refs/heads/\n") +
      pkt("ref-prefix refs/tags/\n") + "0000";
    const out = await call("/git-upload-pack", {
      method: "POST",
      body,
      headers: {
        "content-type": "application/x-git-upload-pack-request",
        accept: "application/x-git-upload-pack-result",
      },
    });
    return parseV2(out);
  };
  try {
    // Protocol v2 over HTTP is stateless: ask for ls-refs straight away, one request. A server that
    // wants the advertisement first or speaks only v0 does not answer with an ls-refs result; any
    // failure here (other than a rejected token) goes the long way, which gives the real error.
    try {
      return await lsRefs();
    } catch (e) {
      if (e instanceof AuthError || ctrl.signal.aborted) throw e;
    }
    // v0 answers "# service=git-upload-pack", flush, then the refs; v2 answers "version 2" and its
    // capabilities (servers differ on whether the service line comes first).
    let adv = parsePktLines(await call("/info/refs?service=git-upload-pack"));
    if (adv[0]?.replace(/\n$/, "") === "# service=git-upload-pack") adv = adv.slice(1);
    const lines = adv.filter((l): l is string => l !== null);
    if (lines.length > 0 && !/^(version 2\n?$|[0-9a-f]{40,64} )/.test(lines[0])) {
      throw new NotSmart("not a smart-HTTP server");
    }
    if (lines[0]?.replace(/\n$/, "") !== "version 2") return parseV0(lines);
    if (!lines.some((l) => /^ls-refs(=|\n|$)/.test(l))) throw new NotSmart("no ls-refs");
    return await lsRefs();
  } catch (e) {
    if (e instanceof NotSmart) {
      options.logger?.debug(`ls-refs over HTTP not possible (${e.message}); using git ls-remote`);
      return await viaGit(url, options);
    }
    throw e;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", cancel);
  }
}

async function viaGit(url: string, options: ListRefsOptions): Promise<RefMap> {
  const r = await git(["ls-remote", "--heads", "--tags", url], {
    auth: options.auth,
    timeoutMs: options.timeoutMs,
    logger: options.logger,
    signal: options.signal,
  });
  return parseLsRemote(r.stdout);
}

function pkt(s: string): string {
  return (Buffer.byteLength(s) + 4).toString(16).padStart(4, "0") + s;
}

/**
 * Splits a pkt-line stream: data lines as strings, flush/delim/response-end packets as null.
 * @throws RepoClonerError for an `ERR` packet; NotSmart for a malformed stream.
 */
export function parsePktLines(buf: Uint8Array): Array<string | null> {
  const out: Array<string | null> = [];
  const text = new TextDecoder("utf-8", { fatal: false });
  let i = 0;
  while (i < buf.length) {
    const head = new TextDecoder().decode(buf.subarray(i, i + 4));
    const len = /^[0-9a-f]{4}$/i.test(head) ? parseInt(head, 16) : NaN;
    if (Number.isNaN(len) || len === 3 || i + Math.max(len, 4) > buf.length) {
      throw new NotSmart("malformed pkt-line");
    }
    if (len <= 2) {
      out.push(null);
      i += 4;
      continue;
    }
    const line = text.decode(buf.subarray(i + 4, i + len));
    if (line.startsWith("ERR ")) {
      throw new RepoClonerError(
        `Cannot list refs: the server said "${redactor.redact(line.slice(4).trim())}"`,
      );
    }
    out.push(line);
    i += len;
  }
  return out;
}

/**
 * A v2 `ls-refs` result: lines `<oid> <ref>[ symref-target:…][ peeled:<oid>]` ending in a flush.
 * Anything else (a v0 server's reply, an empty body) is not taken for "no refs": NotSmart.
 */
function parseV2(buf: Uint8Array): RefMap {
  const packets = parsePktLines(buf);
  if (packets.length === 0 || packets[packets.length - 1] !== null || packets.slice(0, -1).includes(null)) {
    throw new NotSmart("not an ls-refs result");
  }
  const refs: RefMap = new Map();
  for (const line of packets.slice(0, -1) as string[]) {
    const [oid, ref, ...attrs] = line.replace(/\n$/, "").split(" ");
    if (!/^[0-9a-f]{40,64}$/.test(oid) || !ref) throw new NotSmart("not an ls-refs result");
    if (!isSyncedRef(ref)) continue;
    const peeled = attrs.find((a) => a.startsWith("peeled:"))?.slice(7);
    refs.set(ref, { sha: oid, commit: peeled ?? oid });
  }
  return refs;
}

/** A v0 advertisement: `<oid> <ref>\0caps` first, then `<oid> <ref>`, `^{}` lines for peeled tags. */
function parseV0(lines: string[]): RefMap {
  const text = lines.map((l) => l.split("\0")[0].replace(/\n$/, "").replace(" ", "\t")).join("\n");
  return parseLsRemote(text);
}
