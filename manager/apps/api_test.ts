import assert from "node:assert/strict";
import { z } from "zod";
import { OWNER, type TestPlatform, withTestPlatform } from "../../testing/platform.ts";

const apps = "/api/v1/admin/apps";

async function createApp(t: TestPlatform, token: string, slug: string, extra = {}) {
  return await t.call("POST", apps, { token, body: { slug, name: slug.toUpperCase(), ...extra } });
}

Deno.test("apps API - slug rules", async (t) => {
  await withTestPlatform(async (tp) => {
    const owner = await tp.login(OWNER.email, OWNER.password);
    const cases: [slug: unknown, status: number][] = [
      ["a", 201],
      ["a1", 201],
      ["my-app", 201],
      ["0-9", 201],
      ["x".repeat(63), 201],
      ["", 400],
      ["-a", 400],
      ["a-", 400],
      ["My-App", 400],
      ["a_b", 400],
      ["a.b", 400],
      ["a b", 400],
      ["ü", 400],
      ["y".repeat(64), 400],
      [42, 400],
    ];
    for (const [slug, status] of cases) {
      await t.step(`${JSON.stringify(slug)} → ${status}`, async () => {
        const r = await tp.call("POST", apps, { token: owner, body: { slug, name: "N" } });
        assert.equal(r.status, status, JSON.stringify(r.body));
        if (status === 400) {
          assert.equal(r.body.error.code, "invalid_request");
          const issues = r.body.error.details?.issues as { path: string[] }[];
          assert.deepEqual(issues[0].path, ["slug"]);
        } else {
          assert.equal(r.body.slug, slug);
          assert.equal(r.body.my_role, "admin");
        }
      });
    }
    await t.step("unknown fields and a blank name are 400", async () => {
      for (const body of [{ slug: "ok1", name: "N", extra: 1 }, { slug: "ok2", name: " " }]) {
        const r = await tp.call("POST", apps, { token: owner, body });
        assert.equal(r.status, 400);
        assert.equal(r.body.error.code, "invalid_request");
      }
    });
    await t.step("a live slug is 409 slug_taken", async () => {
      const r = await createApp(tp, owner, "my-app");
      assert.equal(r.status, 409);
      assert.equal(r.body.error.code, "slug_taken");
    });
  });
});

Deno.test("apps API - rename keeps the old slug as a 308 redirect until another app claims it", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const created = await createApp(t, owner, "shop");
    assert.equal(created.status, 201);
    const id = created.body.id;
    const renamed = await t.call("PATCH", `${apps}/shop`, {
      token: owner,
      body: { slug: "store" },
    });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.slug, "store");
    assert.equal(renamed.body.name, "SHOP");

    for (const [method, path] of [["GET", ""], ["GET", "/domains?x=1"], ["DELETE", ""]]) {
      const r = await t.call(method, `${apps}/shop${path}`, { token: owner });
      assert.equal(r.status, 308, `${method} ${path}`);
      assert.equal(r.headers.get("location"), `${apps}/store${path}`);
    }
    const byNew = await t.call("GET", `${apps}/store`, { token: owner });
    assert.equal(byNew.body.id, id);
    const byId = await t.call("GET", `${apps}/${id}`, { token: owner });
    assert.equal(byId.body.slug, "store");

    // Invisible to a member of another app: 404, not a redirect that names the new slug.
    await t.createUser(owner, { email: "m@example.com" });
    const grant = await t.call("POST", `${apps}/default/members`, {
      token: owner,
      body: { email: "m@example.com", role: "admin" },
    });
    assert.equal(grant.status, 201);
    const member = await t.login("m@example.com", "member-password-1");
    const hidden = await t.call("GET", `${apps}/shop`, { token: member });
    assert.equal(hidden.status, 404);
    assert.equal(hidden.body.error.code, "app_not_found");
    assert.equal((await t.call("GET", `${apps}/shop`)).status, 401);

    // Renaming back to one's own old slug just works; the other old slug then redirects.
    const back = await t.call("PATCH", `${apps}/store`, { token: owner, body: { slug: "shop" } });
    assert.equal(back.status, 200);
    const r = await t.call("GET", `${apps}/store`, { token: owner });
    assert.equal(r.status, 308);
    assert.equal(r.headers.get("location"), `${apps}/shop`);
    const history = await t.p.db.sql`select slug from app_slug_history where app_id = ${id}`;
    assert.deepEqual(history.map((h) => h.slug), ["store"]);

    const audit = await t.call("GET", `/api/v1/admin/audit?app=${id}`, { token: owner });
    assert.deepEqual(
      audit.body.items.map((e) => e.action),
      ["app.update", "app.update", "app.create"],
    );
  });
});

Deno.test("apps API - slug:check, 409 slug_held, then force takes the slug over", async (t) => {
  await withTestPlatform(async (tp) => {
    const owner = await tp.login(OWNER.email, OWNER.password);
    const a = (await createApp(tp, owner, "alpha")).body;
    const b = (await createApp(tp, owner, "beta")).body;
    assert.equal(
      (await tp.call("PATCH", `${apps}/alpha`, { token: owner, body: { slug: "alpha2" } })).status,
      200,
    );
    const check = async (app: string, slug: string) =>
      await tp.call("POST", `${apps}/${app}/slug:check`, { token: owner, body: { slug } });

    const cases: [app: string, slug: string, status: string, holder: string | null][] = [
      ["beta", "free-one", "available", null],
      ["beta", "beta", "available", null],
      ["beta", "alpha2", "taken", "alpha2"],
      ["beta", "default", "taken", "default"],
      ["beta", "alpha", "held_by_history", "alpha2"],
      ["alpha2", "alpha", "available", null],
    ];
    for (const [app, slug, status, holder] of cases) {
      await t.step(`${app}: ${slug} is ${status}`, async () => {
        const r = await check(app, slug);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.status, status);
        assert.equal((r.body.held_by as { slug?: string } | undefined)?.slug ?? null, holder);
      });
    }
    await t.step("an invalid slug is 400", async () => {
      const r = await check("beta", "Bad_Slug");
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, "invalid_request");
    });

    await t.step("plain rename and create are 409 slug_held; force takes over", async () => {
      const plain = await tp.call("PATCH", `${apps}/beta`, {
        token: owner,
        body: { slug: "alpha" },
      });
      assert.equal(plain.status, 409);
      assert.equal(plain.body.error.code, "slug_held");
      const create = await createApp(tp, owner, "alpha");
      assert.equal(create.status, 409);
      assert.equal(create.body.error.code, "slug_held");
      const taken = await tp.call("PATCH", `${apps}/beta`, {
        token: owner,
        body: { slug: "alpha2", force: true },
      });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.error.code, "slug_taken");

      const forced = await tp.call("PATCH", `${apps}/beta`, {
        token: owner,
        body: { slug: "alpha", force: true },
      });
      assert.equal(forced.status, 200);
      assert.equal(forced.body.id, b.id);
      const now = await tp.call("GET", `${apps}/alpha`, { token: owner });
      assert.equal(now.status, 200);
      assert.equal(now.body.id, b.id);
      const history = await tp.p.db.sql`select slug, app_id from app_slug_history order by slug`;
      assert.deepEqual(history.map((h) => [h.slug, h.app_id]), [["beta", b.id]]);
      assert.equal((await check("alpha2", "alpha")).body.status, "taken");
      assert.ok(a.id);
    });

    await t.step("the holder is named only to callers who can see it", async () => {
      await tp.createUser(owner, { email: "beta-admin@example.com" });
      const grant = await tp.call("POST", `${apps}/alpha/members`, {
        token: owner,
        body: { email: "beta-admin@example.com", role: "admin" },
      });
      assert.equal(grant.status, 201);
      const member = await tp.login("beta-admin@example.com", "member-password-1");
      const r = await tp.call("POST", `${apps}/alpha/slug:check`, {
        token: member,
        body: { slug: "alpha2" },
      });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { slug: "alpha2", status: "taken" });
      const taken = await tp.call("PATCH", `${apps}/alpha`, {
        token: member,
        body: { slug: "alpha2" },
      });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.error.code, "slug_taken");
      assert.equal(taken.body.error.details?.held_by, undefined);
    });
  });
});

Deno.test("apps API - the default app is neither renamed nor deleted", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const rename = await t.call("PATCH", `${apps}/default`, { token: owner, body: { slug: "d2" } });
    assert.equal(rename.status, 409);
    assert.equal(rename.body.error.code, "default_app");
    const retitle = await t.call("PATCH", `${apps}/default`, { token: owner, body: { name: "D" } });
    assert.equal(retitle.status, 200);
    assert.equal(retitle.body.name, "D");
    const del = await t.call("DELETE", `${apps}/default`, { token: owner });
    assert.equal(del.status, 409);
    assert.equal(del.body.error.code, "default_app");
    const empty = await t.call("PATCH", `${apps}/default`, { token: owner, body: {} });
    assert.equal(empty.status, 400);
  });
});

Deno.test("apps API - delete cascades, stops the executor and unroutes the app", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const app = (await createApp(t, owner, "doomed")).body;
    const claim = await t.call("POST", `${apps}/doomed/domains`, {
      token: owner,
      body: { pattern: "doomed.example.test" },
    });
    assert.equal(claim.status, 201);
    const script = await t.call("POST", "/api/v1/admin/scripts", {
      token: owner,
      body: {
        app_id: "doomed",
        name: "main",
        source: "export default { fetch: () => new Response('alive') };",
      },
    });
    assert.equal(script.status, 201, JSON.stringify(script.body));
    const route = await t.call("POST", "/api/v1/admin/routes", {
      token: owner,
      body: { app_id: "doomed", script_id: script.body.id, method: "GET", path: "/" },
    });
    assert.equal(route.status, 201);
    await t.p.db.sql`
      insert into schedules (app_id, script_id, cron) values (${app.id}, ${script.body.id}, '0 0 * * *')`;
    const res = await t.p.tenant.request("http://doomed.example.test/");
    assert.equal(await res.text(), "alive");
    await t.p.logs.flush();
    assert.ok(t.p.pool.stats().some((s) => s.appId === app.id));
    const renamed = await t.call("PATCH", `${apps}/doomed`, { token: owner, body: { slug: "d2" } });
    assert.equal(renamed.status, 200);

    const del = await t.call("DELETE", `${apps}/d2`, { token: owner });
    assert.equal(del.status, 204);
    assert.ok(!t.p.pool.stats().some((s) => s.appId === app.id));
    const sql = t.p.db.sql;
    for (const table of ["scripts", "routes", "app_domains", "schedules", "execution_log_blocks"]) {
      const [{ n }] = await sql`select count(*)::int as n from ${
        sql(table)
      } where app_id = ${app.id}`;
      assert.equal(n, 0, table);
    }
    const [{ n }] = await sql`select count(*)::int as n from app_slug_history`;
    assert.equal(n, 0);
    const gone = await t.p.tenant.request("http://doomed.example.test/");
    assert.equal(gone.status, 404);
    assert.equal((await gone.json()).error.code, "unknown_host");
    const again = await t.call("DELETE", `${apps}/${app.id}`, { token: owner });
    assert.equal(again.status, 404);
    assert.equal(again.body.error.code, "app_not_found");
    const [entry] = await sql`
      select action, before from audit_log where app_id = ${app.id} order by id desc limit 1`;
    assert.equal(entry.action, "app.delete");
  });
});

Deno.test("apps API - 30 concurrent renames to one slug: one wins, the rest 409", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await createApp(t, owner, `racer-${i}`)).body.id);
    const results = await Promise.all(
      ids.map((id) => t.call("PATCH", `${apps}/${id}`, { token: owner, body: { slug: "prize" } })),
    );
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(","));
    assert.ok(results.every((r) => r.status === 200 || r.body.error.code === "slug_taken"));
    const winner = results.find((r) => r.status === 200)!.body.id;
    assert.equal((await t.call("GET", `${apps}/prize`, { token: owner })).body.id, winner);

    // Creating the same new slug at once: one 201, the rest 409.
    const creates = await Promise.all(
      Array.from({ length: 30 }, () => createApp(t, owner, "fresh")),
    );
    assert.equal(creates.filter((r) => r.status === 201).length, 1);
    assert.ok(creates.every((r) => r.status === 201 || r.body.error.code === "slug_taken"));
  });
});

Deno.test("apps, domains and routes docs - schemas convert and every documented path answers", async () => {
  await withTestPlatform(async (t) => {
    const docs = t.p.endpoints().filter((d) => ["apps", "domains", "routes"].includes(d.tag));
    assert.equal(docs.length, 14);
    for (const d of docs) {
      for (
        const s of [
          d.params,
          d.query,
          d.body,
          ...Object.values(d.responses).map((r) => r.schema),
        ]
      ) {
        if (s) z.toJSONSchema(s, { io: "input", unrepresentable: "any" });
      }
    }
    const owner = await t.login(OWNER.email, OWNER.password);
    for (const d of docs) {
      const path = d.path.replace("{id_or_slug}", "default").replace("{id}", crypto.randomUUID());
      const r = await t.call(d.method.toUpperCase(), path, { token: owner });
      assert.notEqual(r.body.error?.code, "not_found", `${d.method} ${d.path}`);
    }
  });
});
