/**
 * @module Workers scripts through the deploy API: the Workers globals PiCloud provides run
 * unchanged; those it does not are refused at deploy with `422 unsupported_api` naming the API.
 */
import assert from "node:assert/strict";
import { OWNER, type TestPlatform, withTestPlatform } from "../../testing/platform.ts";

const A = "/api/v1/admin";
const FLAGS = /--allow-|--no-npm|--no-remote|run again with/;

async function newScript(t: TestPlatform) {
  const token = await t.login(OWNER.email, OWNER.password);
  const s = await t.call("POST", `${A}/scripts`, {
    token,
    body: {
      app_id: "default",
      name: `s${crypto.randomUUID().slice(0, 8)}`,
      source: `export default { fetch: () => new Response("v1") };`,
    },
  });
  assert.equal(s.status, 201, JSON.stringify(s.body));
  const r = await t.call("POST", `${A}/routes`, {
    token,
    body: { app_id: "default", script_id: s.body.id, method: "GET", path: "/w/:name" },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const deploy = (body: Record<string, unknown>) =>
    t.call("POST", `${A}/scripts/${s.body.id}/versions`, { token, body });
  const run = async (name: string) => {
    const res = await t.p.tenant.request(`http://localhost/w/${name}`);
    return `${res.status} ${await res.text()}`;
  };
  return { deploy, run };
}

const CACHED = `export default {
  async fetch(request, env, ctx) {
    const cache = caches.default;
    let response = await cache.match(request);
    if (!response) {
      response = new Response("made " + crypto.randomUUID(), {
        headers: { "cache-control": "max-age=60" },
      });
      ctx.waitUntil(cache.put(request, response.clone()));
    }
    return response;
  },
};
`;

Deno.test("deploy - an unmodified Workers script using caches.default runs and hits its cache", async () => {
  await withTestPlatform(async (t) => {
    const { deploy, run } = await newScript(t);
    const v = await deploy({ source: CACHED });
    assert.equal(v.status, 201, JSON.stringify(v.body));
    const first = await run("a");
    assert.match(first, /^200 made /);
    assert.equal(await run("a"), first);
    assert.notEqual(await run("b"), first);
  });
});

Deno.test("deploy - Workers APIs that are not provided answer 422 unsupported_api naming the API", async (t) => {
  await withTestPlatform(async (p) => {
    const { deploy } = await newScript(p);
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      [
        "connect from cloudflare:sockets",
        {
          source: `import { connect } from "cloudflare:sockets";\nexport default {\n` +
            `  fetch() { connect("db:5432"); return new Response("x"); },\n};\n`,
        },
        "cloudflare:sockets",
        /^cloudflare:sockets is not supported by PiCloud: raw TCP sockets .* use fetch/,
      ],
      [
        "cloudflare:workers in a multi-file upload",
        {
          files: {
            "main.ts": `import { handler } from "./lib.ts";\nexport default { fetch: handler };\n`,
            "lib.ts": `import { env } from "cloudflare:workers";\n` +
              `export const handler = () => new Response(String(env));\n`,
          },
        },
        "cloudflare:workers",
        /^cloudflare:workers is not supported by PiCloud: export default \{ fetch/,
      ],
      [
        "HTMLRewriter",
        {
          source:
            `export default {\n  fetch: (req) =>\n    new HTMLRewriter().on("a", {}).transform(` +
            `new Response("<a>")),\n};\n`,
        },
        "HTMLRewriter",
        /^HTMLRewriter is not supported by PiCloud: rewrite the HTML as text/,
      ],
      [
        "WebSocketPair",
        {
          source:
            `export default { fetch() { const [a, b] = Object.values(new WebSocketPair()); return new Response(null, { status: 101, webSocket: a }); } };`,
        },
        "WebSocketPair",
        /^WebSocketPair is not supported by PiCloud: WebSocket upgrades/,
      ],
      [
        "Workers Sites",
        {
          source:
            `import manifest from "__STATIC_CONTENT_MANIFEST";\nexport default { fetch: () => new Response(manifest) };`,
        },
        "__STATIC_CONTENT_MANIFEST",
        /^__STATIC_CONTENT_MANIFEST is not supported by PiCloud: Workers Sites/,
      ],
    ];
    for (const [name, body, api, message] of cases) {
      await t.step(name, async () => {
        const r = await deploy(body);
        assert.equal(r.status, 422, JSON.stringify(r.body));
        assert.equal(r.body.error.code, "unsupported_api");
        const details = r.body.error.details as { api: string; diagnostics: { line: number }[] };
        assert.equal(details.api, api);
        assert.match(r.body.error.message, message);
        assert.doesNotMatch(JSON.stringify(r.body), FLAGS);
        assert.ok(details.diagnostics[0].line >= 1);
      });
    }
    await t.step("a library's feature test deploys", async () => {
      const r = await deploy({
        source: `const html = typeof HTMLRewriter !== "undefined";\n` +
          `export default { fetch: () => new Response(String(html)) };\n`,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    });
  });
});

Deno.test("execution log - a failure's stack names the version's entry file, not platform paths", async () => {
  await withTestPlatform(async (t) => {
    const { deploy, run } = await newScript(t);
    const v = await deploy({
      files: {
        "src/index.ts": `import { fail } from "./fail.ts";\n` +
          `export default { fetch(req: Request) { console.error(new Error("logged")); ` +
          `return fail(); } };\n`,
        "src/fail.ts": `export function fail(): Response {\n  throw new RangeError("mine");\n}\n`,
      },
      entry: "src/index.ts",
    });
    assert.equal(v.status, 201, JSON.stringify(v.body));
    assert.match(await run("x"), /^500 /);
    await t.p.logs.flush();
    const token = await t.login(OWNER.email, OWNER.password);
    const logs = await t.call("GET", `${A}/apps/default/logs?status=5xx`, { token });
    const [row] = logs.body.items as unknown as {
      error: { error: string };
      logs: { message: string }[];
    }[];
    // A bundled version's frames name the upload's own files and lines.
    assert.match(row.error.error, /^RangeError: mine\n\s+at fail \(src\/fail\.ts:2:9\)/);
    assert.match(row.logs[0].message, /^Error: logged\n\s+at Object\.fetch \(src\/index\.ts:2:/);
    assert.doesNotMatch(row.error.error + row.logs[0].message, /blob:|loader\.ts|ext:|file:\/\//);
  });
});
