import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { inspectRoutes } from "hono/dev";
import { buildOpenApiDocument, operationIdOf } from "./openapi.ts";
import type { EndpointDoc } from "./openapi_types.ts";
import { API_INFO } from "./reference_api.ts";
import { nonConformance, withTestPlatform } from "../testing/platform.ts";
import { z } from "zod";

/** Caddy's loopback-only TLS hook lives on the root app, outside the console API. */
const NOT_CONSOLE_API = new Set(["/api/v1/internal/tls-ask"]);

/**
 * A Hono path as a shape: parameters become `{}` (names may differ from the document's), a
 * parameter whose pattern is a plain literal (`:op{slug:check}`) becomes that literal, `*` is a
 * parameter, and `\:` is a literal colon.
 */
function honoShape(path: string): string {
  return path.split("/").map((seg) => {
    if (seg === "*") return "{}";
    if (!seg.startsWith(":")) return seg.replaceAll("\\:", ":");
    const name = /^:[A-Za-z0-9_]+/.exec(seg)![0];
    let rest = seg.slice(name.length);
    let value = "{}";
    if (rest.startsWith("{")) {
      let depth = 0;
      let end = 0;
      for (; end < rest.length; end++) {
        if (rest[end] === "\\") end++;
        else if (rest[end] === "{") depth++;
        else if (rest[end] === "}" && --depth === 0) break;
      }
      const pattern = rest.slice(1, end);
      // A literal tail of the pattern stays literal: `:n{[0-9]+:activate}` is `{}:activate`.
      const tail = /[A-Za-z0-9_:.-]*$/.exec(pattern)![0];
      value = tail === pattern ? pattern : `{}${tail}`;
      rest = rest.slice(end + 1);
    }
    return value + rest.replaceAll("\\:", ":");
  }).join("/");
}

/** An OpenAPI path as a shape: every `{name}` becomes `{}`. */
function docShape(path: string): string {
  return path.replace(/\{[^}]+\}/g, "{}");
}

interface Registered {
  method: string;
  path: string;
}

/** The console's registered routes and its declared endpoints. */
async function consoleRoutes(): Promise<{ routes: Registered[]; docs: EndpointDoc[] }> {
  let routes: Registered[] = [];
  let docs: EndpointDoc[] = [];
  await withTestPlatform((t) => {
    routes = inspectRoutes(t.p.console)
      .filter((r) => !r.isMiddleware && r.path.startsWith("/api/v1/"))
      .filter((r) => !NOT_CONSOLE_API.has(r.path))
      .map((r) => ({ method: r.method, path: r.path }));
    docs = t.p.endpoints();
    return Promise.resolve();
  });
  return { routes, docs };
}

async function collectDocs(): Promise<EndpointDoc[]> {
  return (await consoleRoutes()).docs;
}

function covers(doc: EndpointDoc, route: Registered): boolean {
  const sameMethod = route.method === "ALL" || route.method === doc.method.toUpperCase();
  return sameMethod && docShape(doc.path) === honoShape(route.path);
}

Deno.test("honoShape() turns Hono parameters, literal patterns and wildcards into shapes", () => {
  assert.equal(honoShape("/api/v1/users/:id"), "/api/v1/users/{}");
  assert.equal(honoShape("/apps/:app/:op{slug:check}"), "/apps/{}/slug:check");
  assert.equal(honoShape("/v/:n{[0-9]+}\\:activate"), "/v/{}:activate");
  assert.equal(honoShape("/v/:n{[0-9]+:activate}"), "/v/{}:activate");
  assert.equal(honoShape("/execute/:script_id/*"), "/execute/{}/{}");
});

Deno.test("openapi - the document is valid OpenAPI 3.1 with unique operation ids", async () => {
  const docs = await collectDocs();
  const doc = buildOpenApiDocument(docs, API_INFO);
  const result = await new Validator().validate(JSON.parse(JSON.stringify(doc)));
  assert.deepEqual(result, { valid: true }, JSON.stringify(result.errors, null, 2));
  const ids = docs.map(operationIdOf);
  const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
  assert.deepEqual(dupes, [], `duplicate operationIds: ${dupes.join(", ")}`);
  assert.deepEqual(Object.keys(doc.paths), Object.keys(doc.paths).sort());
  assert.equal(
    JSON.stringify(doc),
    JSON.stringify(buildOpenApiDocument([...docs].reverse(), API_INFO)),
    "the output does not depend on the order of the docs",
  );
});

Deno.test("openapi - every path parameter is declared and every path template is described", async () => {
  for (const d of await collectDocs()) {
    const inPath = [...d.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    const declared = Object.keys(d.params?.shape ?? {}).sort();
    assert.deepEqual(declared, inPath, `${d.method} ${d.path}: params vs path template`);
  }
});

Deno.test("openapi - every console route is documented and every doc is a route", async () => {
  const { routes, docs } = await consoleRoutes();
  const undocumented = routes.filter((r) => !docs.some((d) => covers(d, r)));
  const unrouted = docs.filter((d) => !routes.some((r) => covers(d, r)));
  assert.deepEqual(
    [
      ...undocumented.map((r) => `no doc for route ${r.method} ${r.path}`),
      ...unrouted.map((d) => `no route for doc ${d.method.toUpperCase()} ${d.path}`),
    ],
    [],
  );
});

Deno.test("openapi - /openapi.json and /docs are public; the page names every path", async () => {
  await withTestPlatform(async (t) => {
    const json = await t.call("GET", "/api/v1/openapi.json");
    assert.equal(json.status, 200);
    assert.equal(json.body.openapi, "3.1.0");
    const paths = Object.keys(json.body.paths as Record<string, unknown>);
    assert.ok(paths.includes("/api/v1/admin/users/{id}"));

    const res = await t.p.console.request("http://localhost/api/v1/docs");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
    const html = await res.text();
    assert.ok(html.startsWith("<!doctype html>"));
    const missing = paths.filter((p) => !html.includes(p));
    assert.deepEqual(missing, [], "paths missing from the page");
    // Offline: nothing loaded from elsewhere (URLs in descriptions are only text).
    assert.doesNotMatch(html, /<script|<link|<img|\bsrc=|@import|url\(|href="(?!\/|#)/i);
  });
});

Deno.test("nonConformance() flags an undeclared status and a body off its schema", () => {
  const decl: EndpointDoc = {
    method: "get",
    path: "/api/v1/admin/apps/{id_or_slug}",
    summary: "x",
    action: "app.read",
    tag: "apps",
    responses: { 200: { description: "ok", schema: z.object({ id: z.string() }) } },
  };
  assert.deepEqual(nonConformance(decl, 200, { id: "a" }), []);
  // Implied by the action and the path: 401, 404 (hidden app), 308 (old slug), 400 (URL).
  const error = { error: { code: "x", message: "y" } };
  for (const status of [400, 401, 404]) assert.deepEqual(nonConformance(decl, status, error), []);
  assert.deepEqual(nonConformance(decl, 308, undefined), []);
  assert.match(nonConformance(decl, 409, {})[0], /409 is not declared/);
  assert.match(nonConformance(decl, 200, { id: 1 })[0], /200 body off its schema/);
  assert.match(nonConformance(decl, 404, { error: { code: 1 } })[0], /404 body off its schema/);
  // A viewer-level read has no 403: a read-only key or any role may read.
  assert.match(nonConformance(decl, 403, {})[0], /403 is not declared/);
});
