/** The in-process `ls-remote` (smart HTTP, protocol v2 ls-refs / v0) agrees with git and maps faults. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { listRemoteRefs, parsePktLines } from "../src/sync/remote_refs.ts";
import { parseLsRemote } from "../src/sync/refs.ts";
import { AuthError, RepoClonerError, TransientError } from "../src/errors.ts";
import { startForge } from "./support/forge.ts";
import { addCommits, gitIn, seedHistory, setRef } from "./support/forge_repos.ts";

const TOKEN = "tok-remote-refs-31415";
const auth = { token: TOKEN, username: "oauth2" };

async function withForge(
  fn: (f: Awaited<ReturnType<typeof startForge>>, url: string, dir: string) => Promise<void>,
) {
  const f = await startForge({ flavor: "gitlab", tokens: [TOKEN] });
  try {
    const dir = f.addRepo("backend/refs").dir;
    const { main } = seedHistory(dir, { commits: 2, branches: ["dev", "feature/ünï"], tags: ["v1", "v2"] });
    gitIn(dir, ["tag", "light", main]);
    setRef(dir, "refs/merge-requests/3/head", addCommits(dir, "tmp", 1, { from: main }));
    gitIn(dir, ["update-ref", "-d", "refs/heads/tmp"]);
    await fn(f, `${f.url}/backend/refs.git`, dir);
  } finally {
    await f.close();
  }
}

Deno.test("listRemoteRefs() returns what git ls-remote --heads --tags returns, over v2 and v0", async () => {
  await withForge(async (f, url, dir) => {
    const want = parseLsRemote(
      execFileSync("git", ["ls-remote", "--heads", "--tags", dir], { encoding: "utf8" }),
    );
    assert.equal(want.size, 6);
    const v2 = await listRemoteRefs(url, { auth, timeoutMs: 10_000, who: "src" });
    assert.deepEqual(v2, want);
    assert.deepEqual(f.log.map((e) => e.op), ["ls-refs"], "one stateless v2 request");
    // A server that answers protocol v0 (no Git-Protocol header reaches it): the direct ls-refs gets no
    // ls-refs result, then the v0 advertisement is read.
    const noV2: typeof fetch = (input, init) => {
      const h = { ...(init?.headers as Record<string, string>) };
      delete h["git-protocol"];
      return fetch(input, { ...init, headers: h });
    };
    const before = f.log.length;
    assert.deepEqual(await listRemoteRefs(url, { auth, timeoutMs: 10_000, who: "src", fetch: noV2 }), want);
    assert.deepEqual(f.log.slice(before).map((e) => e.op), ["ls-refs", "advertise"]);
    // Not a smart server (or a redirect): falls back to git ls-remote, same answer.
    const dumb: typeof fetch = () =>
      Promise.resolve(new Response("x", { status: 200, headers: { "content-type": "text/plain" } }));
    assert.deepEqual(await listRemoteRefs(url, { auth, timeoutMs: 10_000, who: "src", fetch: dumb }), want);
    // Local paths go to git directly.
    assert.deepEqual(await listRemoteRefs(dir, { timeoutMs: 10_000, who: "src" }), want);
  });
});

Deno.test("listRemoteRefs() maps 401, 502, 429 Retry-After, 404 and a hang", async () => {
  await withForge(async (f, url) => {
    await assert.rejects(
      listRemoteRefs(url, { auth: { token: "wrong-token-123" }, timeoutMs: 5000, who: "the target X" }),
      (e: Error) => {
        assert.ok(e instanceof AuthError);
        assert.match(
          e.message,
          /^Cannot authenticate to the target X: the server rejected the token \(HTTP 401\)/,
        );
        assert.ok(!e.message.includes("wrong-token-123"));
        return true;
      },
    );
    f.faults.push({ match: /(info\/refs|git-upload-pack)$/, kind: "status", status: 502, times: 2 });
    await assert.rejects(listRemoteRefs(url, { auth, timeoutMs: 5000, who: "s" }), TransientError);
    f.faults.push({
      match: /git-upload-pack$/,
      kind: "status",
      status: 429,
      headers: { "retry-after": "3" },
      times: 2,
    });
    await assert.rejects(listRemoteRefs(url, { auth, timeoutMs: 5000, who: "s" }), (e: Error) => {
      assert.ok(e instanceof TransientError);
      assert.equal(e.retryAfterMs, 3000);
      return true;
    });
    await assert.rejects(
      listRemoteRefs(`${f.url}/backend/missing.git`, { auth, timeoutMs: 5000, who: "s" }),
      (e: Error) =>
        e instanceof RepoClonerError && !(e instanceof TransientError) && /not found/.test(e.message),
    );
    f.faults.push({ match: /git-upload-pack$/, kind: "hang" });
    const t = Date.now();
    await assert.rejects(listRemoteRefs(url, { auth, timeoutMs: 400, who: "s" }), /Network timeout/);
    assert.ok(Date.now() - t < 5000);
  });
});

Deno.test("parsePktLines() splits data, flush and delim packets and surfaces ERR", () => {
  const enc = new TextEncoder();
  assert.deepEqual(parsePktLines(enc.encode("0009abcd\n000000010009hello")), ["abcd\n", null, null, "hello"]);
  assert.throws(() => parsePktLines(enc.encode("0011ERR no access")), /the server said "no access"/);
  assert.throws(() => parsePktLines(enc.encode("00zz")), /malformed/);
});
