import assert from "node:assert/strict";
import { OWNER, type TestPlatform, withTestPlatform } from "../../testing/platform.ts";

const admin = "/api/v1/admin";

const ECHO = `export default {
  fetch(req: Request, ctx: any) {
    return new Response(\`Hello \${ctx.params.name} from \${ctx.params.tenant} (\${ctx.app.slug})\`);
  },
};`;

/** An app claiming `{tenant}.example.test` with one script; returns the script id. */
async function setup(t: TestPlatform, token: string, slug = "acme-app") {
  const app = await t.call("POST", `${admin}/apps`, { token, body: { slug, name: "Acme" } });
  assert.equal(app.status, 201, JSON.stringify(app.body));
  const claim = await t.call("POST", `${admin}/apps/${slug}/domains`, {
    token,
    body: { pattern: "{tenant}.example.test" },
  });
  assert.equal(claim.status, 201, JSON.stringify(claim.body));
  const script = await t.call("POST", `${admin}/scripts`, {
    token,
    body: { app_id: slug, name: "hello", source: ECHO },
  });
  assert.equal(script.status, 201, JSON.stringify(script.body));
  return script.body.id;
}

async function addRoute(t: TestPlatform, token: string, body: Record<string, unknown>) {
  const r = await t.call("POST", `${admin}/routes`, { token, body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

Deno.test("routes API - end to end: app, claim, deploy, route, request by host", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const scriptId = await setup(t, owner);
    await addRoute(t, owner, {
      app_id: "acme-app",
      script_id: scriptId,
      method: "GET",
      path: "/hello/:name",
    });
    const res = await t.p.tenant.request("http://acme.example.test/hello/ann");
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "Hello ann from acme (acme-app)");
    const other = await t.p.tenant.request("http://globex.example.test/hello/bob");
    assert.equal(await other.text(), "Hello bob from globex (acme-app)");

    // A rename reaches the script's ctx.app.slug.
    const renamed = await t.call("PATCH", `${admin}/apps/acme-app`, {
      token: owner,
      body: { slug: "acme" },
    });
    assert.equal(renamed.status, 200);
    const after = await t.p.tenant.request("http://acme.example.test/hello/ann");
    assert.equal(await after.text(), "Hello ann from acme (acme)");
  });
});

Deno.test("routes API - PATCH changes a route; conflicts are checked within the app only", async (t) => {
  await withTestPlatform(async (tp) => {
    const owner = await tp.login(OWNER.email, OWNER.password);
    const scriptId = await setup(tp, owner);
    const base = { app_id: "acme-app", script_id: scriptId };
    const a = await addRoute(tp, owner, { ...base, method: "GET", path: "/a/:x" });
    const b = await addRoute(tp, owner, { ...base, method: "GET", path: "/b" });
    const defaultScript = (await tp.call("GET", `${admin}/scripts?app=default`, { token: owner }))
      .body.items[0].id;
    // The same shape in another app is no conflict.
    await addRoute(tp, owner, {
      app_id: "default",
      script_id: defaultScript,
      method: "GET",
      path: "/c/:y",
    });
    const patch = (id: string, body: unknown) =>
      tp.call("PATCH", `${admin}/routes/${id}`, { token: owner, body });

    const cases: [name: string, id: string, body: unknown, status: number, code?: string][] = [
      ["same shape as another route", b.id, { path: "/a/:other" }, 409, "route_conflict"],
      ["shape used in another app", b.id, { path: "/c/:z" }, 200],
      ["method only", b.id, { method: "post" }, 200],
      ["no change at all", b.id, { method: "POST" }, 200],
      ["claimed host pattern", a.id, { host: "{tenant}.example.test" }, 200],
      ["concrete host matching a claim", a.id, { host: "acme.example.test" }, 200],
      ["unclaimed host", a.id, { host: "elsewhere.test" }, 422, "host_not_claimed"],
      ["host with a port", a.id, { host: "acme.example.test:80" }, 400, "invalid_domain"],
      ["clear the host", a.id, { host: null }, 200],
      ["script of another app", a.id, { script_id: defaultScript }, 404, "script_not_found"],
      ["bad path", a.id, { path: "no-slash" }, 400, "invalid_route_path"],
      ["bad method", a.id, { method: "BREW" }, 400, "invalid_request"],
      ["empty body", a.id, {}, 400, "invalid_request"],
      ["unknown field", a.id, { app_id: "default" }, 400, "invalid_request"],
      ["unknown route", crypto.randomUUID(), { path: "/x" }, 404, "route_not_found"],
      ["not a uuid", "nope", { path: "/x" }, 404, "route_not_found"],
    ];
    for (const [name, id, body, status, code] of cases) {
      await t.step(`${name} → ${status}`, async () => {
        const r = await patch(id, body);
        assert.equal(r.status, status, JSON.stringify(r.body));
        if (code) assert.equal(r.body.error.code, code);
      });
    }
    const list = await tp.call("GET", `${admin}/routes?app=acme-app`, { token: owner });
    assert.deepEqual(
      list.body.items.map((r) => [r.method, r.path, r.host]),
      [["GET", "/a/:x", null], ["POST", "/c/:z", null]],
    );
    const res = await tp.p.tenant.request("http://acme.example.test/c/zed", { method: "POST" });
    assert.match(await res.text(), /Hello/);
  });
});

Deno.test("routes API - concurrent PATCHes to one shape: one 200, the rest 409", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const scriptId = await setup(t, owner);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push(
        (await addRoute(t, owner, {
          app_id: "acme-app",
          script_id: scriptId,
          method: "GET",
          path: `/r${i}`,
        })).id,
      );
    }
    const results = await Promise.all(
      ids.map((id, i) =>
        t.call("PATCH", `${admin}/routes/${id}`, {
          token: owner,
          body: { path: `/same/:p${i}` },
        })
      ),
    );
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(","));
    assert.ok(results.every((r) => r.status === 200 || r.body.error.code === "route_conflict"));
  });
});

Deno.test("routes API - preview shows the route and params a URL reaches", async (t) => {
  await withTestPlatform(async (tp) => {
    const owner = await tp.login(OWNER.email, OWNER.password);
    const scriptId = await setup(tp, owner);
    const route = await addRoute(tp, owner, {
      app_id: "acme-app",
      script_id: scriptId,
      method: "GET",
      path: "/hello/:name",
    });
    await tp.call("POST", `${admin}/apps`, { token: owner, body: { slug: "vip", name: "V" } });
    const vip = await tp.call("POST", `${admin}/apps/vip/domains`, {
      token: owner,
      body: { pattern: "vip.example.test" },
    });
    assert.equal(vip.status, 201);
    const preview = (app: string, q: string) =>
      tp.call("GET", `${admin}/apps/${app}/routes:preview?${q}`, { token: owner });
    const url = (u: string) => `url=${encodeURIComponent(u)}`;

    const cases: [name: string, app: string, q: string, status: number, want: unknown][] = [
      [
        "host and route params",
        "acme-app",
        `method=GET&${url("https://acme.example.test/hello/ann")}`,
        200,
        { tenant: "acme", name: "ann" },
      ],
      [
        "method defaults to GET; port ignored",
        "acme-app",
        url("http://Globex.Example.Test:8080/hello/bob?x=1"),
        200,
        { tenant: "globex", name: "bob" },
      ],
      ["no route", "acme-app", url("https://acme.example.test/bye"), 404, "no_route"],
      [
        "other method",
        "acme-app",
        `method=post&${url("https://acme.example.test/hello/ann")}`,
        405,
        "method_not_allowed",
      ],
      ["host nobody claims", "acme-app", url("https://nowhere.test/"), 404, "unclaimed_host"],
      [
        "host another app claims more specifically",
        "acme-app",
        url("https://vip.example.test/hello/ann"),
        404,
        "unclaimed_host",
      ],
      ["not a URL", "acme-app", url("acme.example.test/hello"), 400, "invalid_request"],
      ["no URL", "acme-app", "method=GET", 400, "invalid_request"],
      ["unknown app", "nope", url("https://acme.example.test/"), 404, "app_not_found"],
    ];
    for (const [name, app, q, status, want] of cases) {
      await t.step(`${name} → ${status}`, async () => {
        const r = await preview(app, q);
        assert.equal(r.status, status, JSON.stringify(r.body));
        if (status === 200) {
          assert.equal(r.body.route_id, route.id);
          assert.equal(r.body.script_id, scriptId);
          assert.equal(r.body.claim, "{tenant}.example.test");
          assert.deepEqual(r.body.params, want);
        } else assert.equal(r.body.error.code, want);
      });
    }
  });
});
