import assert from "node:assert/strict";
import { parseListen } from "./server.ts";

Deno.test("parseListen() reads host:port, :port, [v6]:port and a bare port (loopback)", async (t) => {
  const cases: [string, ReturnType<typeof parseListen>][] = [
    ["127.0.0.1:9464", { host: "127.0.0.1", port: 9464 }],
    [":9464", { port: 9464 }],
    ["9464", { host: "127.0.0.1", port: 9464 }],
    ["[::1]:9464", { host: "::1", port: 9464 }],
    ["localhost:0", { host: "localhost", port: 0 }],
  ];
  for (const [spec, want] of cases) await t.step(spec, () => assert.deepEqual(parseListen(spec), want));
});

Deno.test("parseListen() refuses what is not an address", () => {
  for (const bad of ["", "host", "1.2.3.4:99999", "http://x:1", "a b:1"]) {
    assert.throws(() => parseListen(bad), /Cannot listen on/, bad);
  }
});
