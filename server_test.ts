import assert from "node:assert/strict";
import { OWNER, type TestPlatform, withTestPlatform } from "./testing/platform.ts";
import { readExecutionLogs } from "./orchestrator/mod.ts";

async function deploy(t: TestPlatform, token: string, body: Record<string, unknown>) {
  const res = await t.call("POST", "/api/v1/admin/scripts", { token, body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

Deno.test("platform - a fresh install serves Hello World on GET / of localhost", async () => {
  await withTestPlatform(async ({ p }) => {
    const res = await p.tenant.request("http://localhost/");
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "Hello World\n");
    assert.ok(res.headers.get("x-request-id"));
  });
});

Deno.test("platform - unknown hosts, missing routes and wrong methods get JSON errors", async (t) => {
  await withTestPlatform(async ({ p }) => {
    const cases = [
      { url: "http://nope.example/", method: "GET", status: 404, code: "unknown_host" },
      { url: "http://localhost/missing", method: "GET", status: 404, code: "no_route" },
      { url: "http://localhost/", method: "POST", status: 405, code: "method_not_allowed" },
    ];
    for (const c of cases) {
      await t.step(`${c.method} ${c.url} → ${c.code}`, async () => {
        const res = await p.tenant.request(c.url, { method: c.method });
        assert.equal(res.status, c.status);
        assert.equal((await res.json()).error.code, c.code);
      });
    }
  });
});

Deno.test("platform - deploy, route with params, redeploy, execute, and logs", async () => {
  await withTestPlatform(async (t) => {
    const { p } = t;
    const token = await t.login(OWNER.email, OWNER.password);
    const script = await deploy(t, token, {
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
    const routeBody = {
      app_id: "default",
      script_id: script.id,
      method: "GET",
      path: "/hello/:name",
    };
    const r = await t.call("POST", "/api/v1/admin/routes", { token, body: routeBody });
    assert.equal(r.status, 201);

    const res = await p.tenant.request("http://localhost/hello/ann");
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual(body.params, { name: "ann" });
    assert.equal(body.app, "default");
    assert.equal(body.rid, res.headers.get("x-request-id"));

    const dup = await t.call("POST", "/api/v1/admin/routes", {
      token,
      body: { ...routeBody, path: "/hello/:who" },
    });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, "route_conflict");

    const v2 = await t.call("POST", `/api/v1/admin/scripts/${script.id}/versions`, {
      token,
      body: { source: `export default { fetch: () => Response.json({ v: 2 }) };` },
    });
    assert.equal(v2.status, 201);
    assert.equal(v2.body.version, 2);
    assert.equal((await (await p.tenant.request("http://localhost/hello/ann")).json()).v, 2);

    const ex = await t.call("GET", `/api/v1/execute/${script.id}`, { token });
    assert.equal(ex.status, 200);
    assert.equal(ex.body.v, 2);

    await p.logs.flush();
    const rows = await readExecutionLogs(p.db.sql);
    assert.deepEqual(rows.map((r) => [r.trigger, r.status, r.outcome]), [
      ["http", 200, "ok"],
      ["http", 200, "ok"],
      ["execute", 200, "ok"],
    ]);
    assert.equal(rows[0].path, "/hello/ann");
    // Usage in every row, the first request of a new Worker included.
    for (const row of rows) {
      assert.equal(typeof row.cpu_ms, "number", JSON.stringify(row));
      assert.ok(typeof row.memory_mb === "number" && row.memory_mb > 0, JSON.stringify(row));
    }
    assert.equal((rows[0].logs[0] as { message: string }).message, "greeting ann");
  });
});

Deno.test("platform - admin endpoints require a principal and validate input", async (t) => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    const cases: {
      name: string;
      method: string;
      path: string;
      token?: string;
      body?: unknown;
      raw?: string;
      status: number;
      code: string;
    }[] = [
      { name: "no token", method: "GET", path: "scripts", status: 401, code: "unauthorized" },
      {
        name: "wrong token",
        method: "GET",
        path: "scripts",
        token: "nope",
        status: 401,
        code: "unauthorized",
      },
      {
        name: "bad JSON",
        method: "POST",
        path: "scripts",
        token,
        raw: "{",
        status: 400,
        code: "invalid_request",
      },
      {
        name: "unknown field",
        method: "POST",
        path: "scripts",
        token,
        body: { name: "a", source: "x", x: 1 },
        status: 400,
        code: "invalid_request",
      },
      {
        name: "unknown app",
        method: "POST",
        path: "scripts",
        token,
        body: { app_id: "zzz", name: "a", source: "x" },
        status: 404,
        code: "app_not_found",
      },
      {
        name: "bad route path",
        method: "POST",
        path: "routes",
        token,
        body: { script_id: crypto.randomUUID(), method: "GET", path: "no-slash" },
        status: 400,
        code: "invalid_route_path",
      },
      {
        name: "execute without token",
        method: "GET",
        path: "../execute/" + crypto.randomUUID(),
        status: 401,
        code: "unauthorized",
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        const url = new URL(`api/v1/admin/${c.path}`, "http://localhost/");
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (c.token) headers.authorization = `Bearer ${c.token}`;
        const res = await tp.p.console.request(url.href, {
          method: c.method,
          headers,
          body: c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body)),
        });
        assert.equal(res.status, c.status);
        assert.equal((await res.json()).error.code, c.code);
      });
    }
  });
});

Deno.test("acceptance - owner bootstraps, creates an admin and a viewer; nothing leaks secrets", async () => {
  await withTestPlatform(async (t) => {
    const sql = t.p.db.sql;
    await sql`insert into apps (slug, name) values ('shop', 'Shop')`;
    const owner = await t.login(OWNER.email, OWNER.password);
    const admin = await t.call("POST", "/api/v1/admin/users", {
      token: owner,
      body: { email: "admin@example.com", password: "admin-password-1", display_name: "Ada" },
    });
    assert.equal(admin.status, 201);
    assert.equal(admin.body.instance_role, "admin");
    const member = await t.call("POST", "/api/v1/admin/users", {
      token: owner,
      body: { email: "mia@example.com", password: "mia-password-1", instance_role: "member" },
    });
    assert.equal(member.status, 201);
    const grant = await t.call("POST", "/api/v1/admin/apps/default/members", {
      token: owner,
      body: { user_id: member.body.id, role: "viewer" },
    });
    assert.equal(grant.status, 201);

    const adminToken = await t.login("admin@example.com", "admin-password-1");
    const mia = await t.login("mia@example.com", "mia-password-1");
    const apps = await t.call("GET", "/api/v1/admin/apps", { token: mia });
    assert.deepEqual(apps.body.items.map((a) => [a.slug, a.my_role]), [["default", "viewer"]]);
    const shop = await t.call("GET", "/api/v1/admin/apps/shop", { token: mia });
    assert.equal(shop.status, 404);
    const denied = await t.call("POST", "/api/v1/admin/scripts", {
      token: mia,
      body: {
        app_id: "default",
        name: "nope",
        source: "export default { fetch: () => new Response() }",
      },
    });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, "forbidden");

    const key = await t.call("POST", "/api/v1/admin/api-keys", {
      token: adminToken,
      body: { name: "deploy", app_id: "default" },
    });
    assert.equal(key.status, 201);
    const deployed = await t.call("POST", "/api/v1/admin/scripts", {
      token: key.body.key,
      body: {
        app_id: "default",
        name: "by-key",
        source: "export default { fetch: () => new Response() }",
      },
    });
    assert.equal(deployed.status, 201);
    await t.call("POST", "/api/v1/admin/login", {
      body: { email: "mia@example.com", password: "wrong-password-9" },
    });
    await t.call("GET", "/api/v1/admin/audit", { token: owner });
    await t.call("GET", "/api/v1/admin/users", { token: owner });
    await t.call("POST", "/api/v1/admin/logout", { token: mia });

    const hashes = await sql`
      select password_hash as h from admin_users
      union all select key_hash from api_keys union all select token_hash from sessions`;
    const secrets: { value: string; shownIn?: RegExp }[] = [
      { value: OWNER.password },
      { value: "admin-password-1" },
      { value: "mia-password-1" },
      { value: "wrong-password-9" },
      { value: owner, shownIn: /^POST \/api\/v1\/admin\/login 200/ },
      { value: adminToken, shownIn: /^POST \/api\/v1\/admin\/login 200/ },
      { value: mia, shownIn: /^POST \/api\/v1\/admin\/login 200/ },
      { value: key.body.key.split("_")[2], shownIn: /^POST \/api\/v1\/admin\/api-keys 201/ },
      ...hashes.map((r) => ({ value: r.h as string })),
    ];
    assert.equal(hashes.length, 6);
    for (const s of secrets) {
      for (const line of t.lines) assert.equal(line.includes(s.value), false, `log: ${line}`);
      const seen = t.responses.filter((r) => r.includes(s.value));
      assert.ok(seen.length <= 1 && seen.every((r) => s.shownIn?.test(r)), seen.join("\n"));
    }
  });
});
