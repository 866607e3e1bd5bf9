import assert from "node:assert/strict";
import { ApiError } from "../../common/errors.ts";
import type { Principal } from "../authz.ts";
import { OWNER, ownerPrincipal, withTestPlatform } from "../../testing/platform.ts";
import { previewRoute } from "./preview_service.ts";
import { createRoute, deleteRoute, listRoutes, updateRoute } from "./service.ts";

const SOURCE = "export default { fetch: () => new Response('ok') };";

Deno.test("routes service - create, preview, change, delete; conflicts are typed", async () => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const owner = await ownerPrincipal(t);
    const token = await t.login(OWNER.email, OWNER.password);
    const script = await t.call("POST", "/api/v1/admin/scripts", {
      token,
      body: { app_id: "default", name: "s", source: SOURCE },
    });
    assert.equal(script.status, 201);
    const claim = await t.call("POST", "/api/v1/admin/apps/default/domains", {
      token,
      body: { pattern: "{tenant}.example.test" },
    });
    assert.equal(claim.status, 201);
    const input = {
      app_id: "default",
      script_id: script.body.id,
      method: "GET",
      path: "/hello/:name",
      host: "{tenant}.example.test",
    };
    const route = await createRoute(deps, owner, input);
    assert.equal(route.host, "{tenant}.example.test");
    await assert.rejects(
      createRoute(deps, owner, input),
      (e) => e instanceof ApiError && e.code === "route_conflict",
    );
    await assert.rejects(
      createRoute(deps, owner, { ...input, path: "/x", host: "elsewhere.test" }),
      (e) => e instanceof ApiError && e.code === "host_not_claimed",
    );
    await t.p.routing.reload();
    const preview = await previewRoute(deps, owner, "default", {
      method: "GET",
      url: "https://acme.example.test/hello/ann",
    });
    assert.equal(preview.route_id, route.id);
    assert.deepEqual(preview.params, { tenant: "acme", name: "ann" });
    const changed = await updateRoute(deps, owner, route.id, { method: "POST", host: null });
    assert.deepEqual([changed.method, changed.host], ["POST", null]);
    assert.ok((await listRoutes(deps, owner, "default")).some((r) => r.id === route.id));
    await deleteRoute(deps, owner, route.id);
    assert.ok(!(await listRoutes(deps, owner)).some((r) => r.id === route.id));
    await assert.rejects(
      deleteRoute(deps, owner, "nope"),
      (e) => e instanceof ApiError && e.code === "route_not_found",
    );
    const audit = await t.p.db.sql<{ action: string }[]>`
      select action from audit_log where resource_type = 'route' order by id`;
    assert.deepEqual(audit.map((a) => a.action), ["route.create", "route.update", "route.delete"]);
  });
});

Deno.test("routes service - a viewer can list but not create", async () => {
  await withTestPlatform(async (t) => {
    const [app] = await t.p.db.sql<{ id: string }[]>`select id from apps where slug = 'default'`;
    const viewer: Principal = {
      kind: "session",
      userId: crypto.randomUUID(),
      instanceRole: "member",
      appRoles: { [app.id]: "viewer" },
    };
    const deps = t.p.managerDeps;
    // The fresh install's Hello World route.
    assert.equal((await listRoutes(deps, viewer, "default")).length, 1);
    await assert.rejects(
      createRoute(deps, viewer, {
        app_id: "default",
        script_id: crypto.randomUUID(),
        method: "GET",
        path: "/",
        host: null,
      }),
      (e) => e instanceof ApiError && e.code === "forbidden",
    );
  });
});
