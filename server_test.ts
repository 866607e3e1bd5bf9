import assert from "node:assert/strict";
import { parseConfig } from "./common/config.ts";
import { createLogger } from "./common/logging.ts";
import { openTestDatabase } from "./common/testing.ts";
import { createPlatform, type Platform } from "./server.ts";

const TOKEN = "test-admin-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

async function withPlatform(fn: (p: Platform) => Promise<void>, env: Record<string, string> = {}) {
  const db = await openTestDatabase();
  const lines: string[] = [];
  const config = parseConfig({
    PICLOUD_ADMIN_TOKEN: TOKEN,
    PICLOUD_TIMEOUT_MS: "5000",
    PICLOUD_LOG_FLUSH_MS: "20",
    ...env,
  });
  const platform = await createPlatform(config, {
    db,
    log: createLogger("info", (l) => lines.push(l)),
  });
  try {
    await fn(platform);
  } catch (err) {
    console.error(lines.join("\n"));
    throw err;
  } finally {
    await platform.close();
    await db.close();
  }
}

async function deploy(p: Platform, body: Record<string, unknown>) {
  const res = await p.app.request("http://localhost/api/v1/admin/scripts", {
    method: "POST",
    headers: auth,
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return await res.json() as { id: string; app_id: string; active_version: number };
}

async function route(p: Platform, body: Record<string, unknown>) {
  const res = await p.app.request("http://localhost/api/v1/admin/routes", {
    method: "POST",
    headers: auth,
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

Deno.test("platform - a fresh install serves Hello World on GET / of localhost", async () => {
  await withPlatform(async (p) => {
    const res = await p.app.request("http://localhost/");
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "Hello World\n");
    assert.ok(res.headers.get("x-request-id"));
  });
});

Deno.test("platform - unknown hosts, missing routes and wrong methods get JSON errors", async (t) => {
  await withPlatform(async (p) => {
    const cases = [
      { url: "http://nope.example/", method: "GET", status: 404, code: "unknown_host" },
      { url: "http://localhost/missing", method: "GET", status: 404, code: "no_route" },
      { url: "http://localhost/", method: "POST", status: 405, code: "method_not_allowed" },
    ];
    for (const c of cases) {
      await t.step(`${c.method} ${c.url} → ${c.code}`, async () => {
        const res = await p.app.request(c.url, { method: c.method });
        assert.equal(res.status, c.status);
        assert.equal((await res.json()).error.code, c.code);
      });
    }
  });
});

Deno.test("platform - deploy, route with params, redeploy, execute, and logs", async () => {
  await withPlatform(async (p) => {
    const script = await deploy(p, {
      app_id: "default",
      name: "greet",
      source: `export default {
        fetch(req: Request, ctx: any) {
          console.log("greeting", ctx.params.name);
          return Response.json({ v: 1, params: ctx.params, app: ctx.app.slug, rid: ctx.requestId });
        },
      };`,
    });
    assert.equal(script.active_version, 1);
    const r = await route(p, {
      app_id: "default",
      script_id: script.id,
      method: "GET",
      path: "/hello/:name",
    });
    assert.equal(r.status, 201);

    const res = await p.app.request("http://localhost/hello/ann");
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual(body.params, { name: "ann" });
    assert.equal(body.app, "default");
    assert.equal(body.rid, res.headers.get("x-request-id"));

    const dup = await route(p, {
      app_id: "default",
      script_id: script.id,
      method: "GET",
      path: "/hello/:who",
    });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, "route_conflict");

    const v2 = await p.app.request(`http://localhost/api/v1/admin/scripts/${script.id}/versions`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ source: `export default { fetch: () => Response.json({ v: 2 }) };` }),
    });
    assert.equal(v2.status, 201);
    assert.equal((await v2.json()).version, 2);
    assert.equal((await (await p.app.request("http://localhost/hello/ann")).json()).v, 2);

    const ex = await p.app.request(`http://localhost/api/v1/execute/${script.id}`, {
      headers: auth,
    });
    assert.equal(ex.status, 200);
    assert.equal((await ex.json()).v, 2);

    await p.logs.flush();
    const rows = await p.db.sql`
      select trigger, status, outcome, path, logs from execution_logs order by id`;
    assert.deepEqual(rows.map((r) => [r.trigger, r.status, r.outcome]), [
      ["http", 200, "ok"],
      ["http", 200, "ok"],
      ["execute", 200, "ok"],
    ]);
    assert.equal(rows[0].path, "/hello/ann");
    assert.equal(rows[0].logs[0].message, "greeting ann");
  });
});

Deno.test("platform - admin endpoints require the token and validate input", async (t) => {
  await withPlatform(async (p) => {
    const cases: { name: string; init: RequestInit; path: string; status: number; code: string }[] =
      [
        {
          name: "no token",
          path: "scripts",
          init: { method: "GET" },
          status: 401,
          code: "unauthorized",
        },
        {
          name: "wrong token",
          path: "scripts",
          init: { method: "GET", headers: { authorization: "Bearer nope" } },
          status: 401,
          code: "unauthorized",
        },
        {
          name: "bad JSON",
          path: "scripts",
          init: { method: "POST", headers: auth, body: "{" },
          status: 400,
          code: "invalid_request",
        },
        {
          name: "unknown field",
          path: "scripts",
          init: {
            method: "POST",
            headers: auth,
            body: JSON.stringify({ name: "a", source: "x", x: 1 }),
          },
          status: 400,
          code: "invalid_request",
        },
        {
          name: "unknown app",
          path: "scripts",
          init: {
            method: "POST",
            headers: auth,
            body: JSON.stringify({ app_id: "zzz", name: "a", source: "x" }),
          },
          status: 404,
          code: "app_not_found",
        },
        {
          name: "bad route path",
          path: "routes",
          init: {
            method: "POST",
            headers: auth,
            body: JSON.stringify({
              script_id: crypto.randomUUID(),
              method: "GET",
              path: "no-slash",
            }),
          },
          status: 400,
          code: "invalid_route_path",
        },
        {
          name: "execute without token",
          path: "../execute/" + crypto.randomUUID(),
          init: { method: "GET" },
          status: 401,
          code: "unauthorized",
        },
      ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        const url = new URL(`api/v1/admin/${c.path}`, "http://localhost/");
        const res = await p.app.request(url.href, c.init);
        assert.equal(res.status, c.status);
        assert.equal((await res.json()).error.code, c.code);
      });
    }
  });
});
