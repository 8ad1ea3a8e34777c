import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { expandGitUrl, parseGitUrlTemplate } from "./git_url_template.ts";

Deno.test("parseGitUrlTemplate() accepts http(s) templates with {name} and {namespace} in the path", () => {
  const t = parseGitUrlTemplate("https://git.internal:8443/{namespace}/{name}.git", "targets[1].url");
  assert.deepEqual([t.origin, t.host, t.usesNamespace], [
    "https://git.internal:8443",
    "git.internal:8443",
    true,
  ]);
  assert.equal(
    expandGitUrl(t, { name: "api", namespace: "team/backend" }),
    "https://git.internal:8443/team/backend/api.git",
  );
  const flat = parseGitUrlTemplate("http://10.0.0.5/git/{name}", "targets[1].url");
  assert.equal(flat.usesNamespace, false);
  assert.equal(expandGitUrl(flat, { name: "web" }), "http://10.0.0.5/git/web");
});

Deno.test("parseGitUrlTemplate() refuses templates that could send the token elsewhere or reach git as options", async (t) => {
  const cases: Array<[string, RegExp]> = [
    ["https://user:pw@git.internal/{name}.git", /carries credentials/],
    ["https://git.internal/repos.git", /must contain \{name\}/],
    ["https://{namespace}.internal/{name}.git", /host must be written out/],
    ["https://git.internal/{name}.git?x=1", /no query string/],
    ["https://git.internal/{owner}/{name}.git", /unknown placeholder "\{owner\}"/],
    ["ssh://git.internal/{name}.git", /expected http\(s\):\/\//],
    ["ext::sh -c {name}", /expected http\(s\):\/\//],
    ["file:///srv/{name}.git", /expected http\(s\):\/\//],
    ["https://-oProxyCommand=x/{name}.git", /starts with "-"/],
    ["https://git.internal/{name}}.git", /unbalanced braces/],
  ];
  for (const [template, want] of cases) {
    await t.step(
      template,
      () =>
        assert.throws(() => parseGitUrlTemplate(template, "targets[1].url"), (e: Error) => {
          assert.ok(e instanceof UsageError, String(e));
          assert.match(e.message, /^Cannot use targets\[1\]\.url "/);
          assert.match(e.message, want);
          assert.ok(!e.message.includes("pw@"), "credentials are masked");
          return true;
        }),
    );
  }
});

Deno.test("expandGitUrl() refuses names and namespaces that would climb out or change the host", async (t) => {
  const tpl = parseGitUrlTemplate("https://git.internal/{namespace}/{name}.git", "url");
  const bad: Array<{ name: string; namespace?: string }> = [
    { name: "..", namespace: "ns" },
    { name: "-upload-pack=x", namespace: "ns" },
    { name: "a/b", namespace: "ns" },
    { name: "api", namespace: "../etc" },
    { name: "api", namespace: "ns/./x" },
    { name: "api", namespace: "@evil.example" },
    { name: "api", namespace: "" },
  ];
  for (const values of bad) {
    await t.step(JSON.stringify(values), () => assert.throws(() => expandGitUrl(tpl, values), UsageError));
  }
});
