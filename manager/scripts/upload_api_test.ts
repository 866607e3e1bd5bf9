/**
 * @module Deploys as people make them: npm packages, several files, raw files, forms and archives,
 * through the API, then called end to end. Packages come from this Deno's cache (no network),
 * except in the one test that shows a first fetch is kept for the next deploy.
 */
import assert from "node:assert/strict";
import { createTar, createTarGzip } from "nanotar";
import { OWNER, type TestPlatform, withTestPlatform } from "../../testing/platform.ts";

const A = "/api/v1/admin";

const HONO_APP = `import { Hono } from "hono";
import { z } from "zod";
import { greet } from "./lib/greet.ts";
const app = new Hono();
app.get("/hi/:name", (c) => c.text(greet(z.string().min(2).parse(c.req.param("name")))));
export default app;
`;
const GREET = "export const greet = (n: string): string => `hello ${n}`;\n";

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
    body: { app_id: "default", script_id: s.body.id, method: "GET", path: "/hi/:name" },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  /** Calls the script through its route, `/hi/{name}`. */
  const run = async (name: string) => {
    const res = await t.p.tenant.request(`http://localhost/hi/${name}`);
    return `${res.status} ${await res.text()}`;
  };
  return { token, id: s.body.id, run };
}

Deno.test("upload - a Hono app with npm:hono and npm:zod over two files deploys in one call", async () => {
  await withTestPlatform(async (t) => {
    const { token, id, run } = await newScript(t);
    const v = await t.call("POST", `${A}/scripts/${id}/versions`, {
      token,
      body: {
        files: { "main.ts": HONO_APP, "lib/greet.ts": GREET },
        dependencies: { hono: "4.13.19", zod: "4.6.7" },
      },
    });
    assert.equal(v.status, 201, JSON.stringify(v.body));
    assert.deepEqual(v.body.packages, { hono: "4.13.19", zod: "4.6.7" });
    assert.equal(v.body.entry, "main.ts");
    assert.ok((v.body.bundle_bytes as number) > 10_000);
    assert.equal(await run("ann"), "200 hello ann");

    // The version keeps what was uploaded; the bundle stays on the server.
    const one = await t.call("GET", `${A}/scripts/${id}/versions/${v.body.version}`, { token });
    assert.equal(one.body.source, HONO_APP);
    assert.deepEqual(one.body.files, { "lib/greet.ts": GREET });
    assert.equal(
      one.body.imports && (one.body.imports as Record<string, string>).hono,
      "npm:hono@4.13.19",
    );
  });
});

Deno.test("upload - an import-map module and a package.json-style upload deploy", async () => {
  await withTestPlatform(async (t) => {
    const { token, id, run } = await newScript(t);
    const mapped = await t.call("POST", `${A}/scripts/${id}/versions`, {
      token,
      body: {
        files: {
          "src/app.ts": `import { greet } from "@lib/greet.ts";\n` +
            `export default { fetch: () => new Response(greet("map")) };\n`,
          "lib/greet.ts": GREET,
          "deno.json": JSON.stringify({ imports: { "@lib/": "./lib/" } }),
        },
        entry: "src/app.ts",
      },
    });
    assert.equal(mapped.status, 201, JSON.stringify(mapped.body));
    assert.equal(await run("x"), "200 hello map");

    const pkg = await t.call("POST", `${A}/scripts/${id}/versions`, {
      token,
      body: {
        files: {
          "index.ts": HONO_APP.replace("./lib/greet.ts", "./greet.ts"),
          "greet.ts": GREET,
          "package.json": JSON.stringify({ dependencies: { hono: "4.13.19", zod: "4.6.7" } }),
        },
      },
    });
    assert.equal(pkg.status, 201, JSON.stringify(pkg.body));
    assert.equal(pkg.body.entry, "index.ts");
    assert.equal(await run("pkg"), "200 hello pkg");
  });
});

Deno.test("upload - raw source, a multipart form and tar archives need no JSON escaping", async () => {
  await withTestPlatform(async (t) => {
    const { token, id, run } = await newScript(t);
    const raw = await t.call("POST", `${A}/scripts/${id}/versions`, {
      token,
      headers: { "content-type": "application/typescript" },
      raw: `const n: number = 1;\nexport default { fetch: () => new Response("raw " + n) };\n`,
    });
    assert.equal(raw.status, 201, JSON.stringify(raw.body));
    assert.equal(raw.body.bundle_bytes, null, "a self-contained file runs as uploaded");
    assert.equal(await run("x"), "200 raw 1");

    // A raw TSX file: `?entry=` names it, and its extension decides how it is read.
    const tsx = await t.call("POST", `${A}/scripts/${id}/versions?entry=app.tsx`, {
      token,
      headers: { "content-type": "text/typescript" },
      raw: `/** @jsxImportSource npm:hono@4.13.19/jsx */\n` +
        `const Hi = (p: { n: string }) => <b>hi {p.n}</b>;\n` +
        `export default { fetch: () => new Response(String(<Hi n="tsx" />)) };\n`,
    });
    assert.equal(tsx.status, 201, JSON.stringify(tsx.body));
    assert.equal(tsx.body.entry, "app.tsx");
    assert.equal(await run("x"), "200 <b>hi tsx</b>");

    const form = new FormData();
    form.append("files", new File([HONO_APP], "main.ts"));
    form.append("lib/greet.ts", new File([GREET], "greet.ts"));
    form.append("dependencies", JSON.stringify({ hono: "4.13.19", zod: "4.6.7" }));
    const multi = await t.call("POST", `${A}/scripts/${id}/versions`, { token, raw: form });
    assert.equal(multi.status, 201, JSON.stringify(multi.body));
    assert.equal(await run("form"), "200 hello form");

    const files = [
      {
        name: "app/entry.ts",
        data: `import { greet } from "./lib/greet.ts";\n` +
          `export default { fetch: () => new Response(greet("tar")) };\n`,
      },
      { name: "app/lib/greet.ts", data: GREET },
      { name: "app/README.md.json", data: "{}" },
    ];
    const tar = await t.call("POST", `${A}/scripts/${id}/versions?entry=entry.ts`, {
      token,
      headers: { "content-type": "application/x-tar" },
      raw: new Blob([createTar(files) as Uint8Array<ArrayBuffer>]),
    });
    assert.equal(tar.status, 201, JSON.stringify(tar.body));
    assert.equal(tar.body.entry, "entry.ts");
    assert.equal(await run("x"), "200 hello tar");

    const tgz = await t.call("POST", `${A}/scripts/${id}/versions?entry=entry.ts`, {
      token,
      headers: { "content-type": "application/gzip" },
      raw: new Blob([await createTarGzip(files) as Uint8Array<ArrayBuffer>]),
    });
    assert.equal(tgz.status, 201, JSON.stringify(tgz.body));
  });
});

Deno.test("upload - refusals are 4xx with a stable code and the upload's own file names", async () => {
  await withTestPlatform(async (t) => {
    const { token, id } = await newScript(t);
    const deploy = (body: unknown) =>
      t.call("POST", `${A}/scripts/${id}/versions`, { token, body });
    const broken = await deploy({
      files: {
        "main.ts": `import { f } from "./lib/f.ts";\nexport default { fetch: () => f() };\n`,
        "lib/f.ts": `export function f() {\n  return new Response(1 +);\n}\n`,
      },
    });
    assert.equal(broken.status, 422);
    assert.equal(broken.body.error.code, "bundle_failed");
    const [d] = broken.body.error.details!.diagnostics as { file: string; line: number }[];
    assert.deepEqual([d.file, d.line], ["lib/f.ts", 2]);

    for (
      const [body, code] of [
        [{ files: { "../etc/x.ts": "" } }, "invalid_request"],
        [{ files: { "a.ts": "", "b.ts": "" } }, "invalid_upload"],
        [{ files: { "main.ts": "" }, dependencies: { x: "git+ssh://h/x" } }, "invalid_request"],
        [{ source: "x", files: {} }, "invalid_request"],
      ] as const
    ) {
      const r = await deploy(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, code, JSON.stringify(r.body));
    }
    const nonUtf8 = await t.call("POST", `${A}/scripts/${id}/versions`, {
      token,
      headers: { "content-type": "text/javascript" },
      raw: new Uint8Array([0xff, 0xfe, 0x00]),
    });
    assert.equal(nonUtf8.status, 400);
    const badTar = await t.call("POST", `${A}/scripts/${id}/versions`, {
      token,
      headers: { "content-type": "application/gzip" },
      raw: new Uint8Array([1, 2, 3]),
    });
    assert.equal(badTar.status, 400);
  });
});

Deno.test("upload - a package fetched once deploys again with the registry blocked", async () => {
  const cache = await Deno.makeTempDir({ prefix: "picloud-pkgcache-" });
  const source = `import ms from "npm:ms@2.1.3";\n` +
    `export default { fetch: () => new Response(String(ms("2 days"))) };\n`;
  try {
    // The first deploy fetches the package (the only test here that uses the registry).
    await withTestPlatform(async (t) => {
      const { token, id, run } = await newScript(t);
      const v = await t.call("POST", `${A}/scripts/${id}/versions`, { token, body: { source } });
      assert.equal(v.status, 201, JSON.stringify(v.body));
      assert.equal(await run("x"), "200 172800000");
    }, { PICLOUD_PACKAGE_CACHE_DIR: cache });
    // The same package again, with every fetch failing: served from the cache.
    await withTestPlatform(async (t) => {
      const { token, id, run } = await newScript(t);
      const v = await t.call("POST", `${A}/scripts/${id}/versions`, { token, body: { source } });
      assert.equal(v.status, 201, JSON.stringify(v.body));
      assert.deepEqual(v.body.packages, { ms: "2.1.3" });
      assert.equal(await run("x"), "200 172800000");
      // A package the cache lacks is refused, named.
      const other = await t.call("POST", `${A}/scripts/${id}/versions`, {
        token,
        body: { source: source.replace("npm:ms@2.1.3", "npm:left-pad@1.3.0") },
      });
      assert.equal(other.status, 422);
      assert.equal(other.body.error.code, "dependency_unavailable");
      assert.equal(other.body.error.details!.package, "left-pad@1.3.0");
      // A rollback needs no bundler at all.
      const back = await t.call("POST", `${A}/scripts/${id}/versions/1:activate`, { token });
      assert.equal(back.status, 200);
    }, { PICLOUD_PACKAGE_CACHE_DIR: cache, PICLOUD_PACKAGES_OFFLINE: "1" });
  } finally {
    await Deno.remove(cache, { recursive: true }).catch(() => {});
  }
});

Deno.test("upload - a new script's first version may be files with packages, bundled like any deploy", async () => {
  await withTestPlatform(async (t) => {
    const token = await t.login(OWNER.email, OWNER.password);
    const name = `s${crypto.randomUUID().slice(0, 8)}`;
    const s = await t.call("POST", `${A}/scripts`, {
      token,
      body: {
        app_id: "default",
        name,
        files: { "main.ts": HONO_APP, "lib/greet.ts": GREET },
        dependencies: { hono: "4.13.19", zod: "4.6.7" },
      },
    });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    assert.equal(s.body.active_version, 1);
    const v = await t.call("GET", `${A}/scripts/${s.body.id}/versions/1`, { token });
    assert.equal(v.status, 200);
    assert.deepEqual(v.body.packages, { hono: "4.13.19", zod: "4.6.7" });
    const r = await t.call("POST", `${A}/routes`, {
      token,
      body: { app_id: "default", script_id: s.body.id, method: "GET", path: "/hi/:name" },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const res = await t.p.tenant.request("http://localhost/hi/ann");
    assert.equal(`${res.status} ${await res.text()}`, "200 hello ann");
    // A refused first version leaves no script behind; its diagnostics name the upload's file.
    const bad = await t.call("POST", `${A}/scripts`, {
      token,
      body: {
        app_id: "default",
        name: `${name}-bad`,
        files: {
          "main.ts": `import { f } from "./lib/f.ts";\nexport default { fetch: f };\n`,
          "lib/f.ts": "export const f = (;\n",
        },
      },
    });
    assert.equal(bad.status, 422, JSON.stringify(bad.body));
    const details = bad.body.error.details as { diagnostics: { file: string }[] };
    assert.equal(details.diagnostics[0].file, "lib/f.ts");
    const list = await t.call("GET", `${A}/scripts?app=default`, { token });
    assert.ok(!list.body.items.some((x: { name: string }) => x.name === `${name}-bad`));
  });
});
