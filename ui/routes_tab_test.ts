/** @module In-process tests of the Routes tab: add, remove, the preview, and a viewer's view. */
import assert from "node:assert/strict";
import { OWNER, type TestPlatform, withTestPlatform } from "../testing/platform.ts";
import { browser } from "./browser_testing.ts";

/** The default app's Hello World script id (seeded with the route `GET /`). */
async function helloId(tp: TestPlatform): Promise<string> {
  const [row] = await tp.p.db.sql<{ id: string }[]>`
    select s.id from scripts s join apps a on a.id = s.app_id where a.slug = 'default'`;
  return row.id;
}

Deno.test("console - routes tab: add, conflicts next to the field, preview, remove", async (t) => {
  await withTestPlatform(async (tp) => {
    const b = browser(tp);
    await b.signIn(OWNER.email, OWNER.password);
    const script = await helloId(tp);
    const base = "/admin/apps/default/routes";
    await t.step("the table lists the seeded route with its script's name", async () => {
      const r = await b.get(base);
      assert.equal(r.status, 200);
      assert.match(r.html, /<td class="mono">\/<\/td>/);
      assert.match(r.html, /Add a route/);
    });
    await t.step("add → 303, then shown", async () => {
      const r = await b.post(base, { script_id: script, method: "get", path: "/items/:id" });
      assert.equal(r.status, 303, r.html);
      assert.equal(r.location, base);
      assert.match((await b.get(base)).html, /\/items\/:id/);
    });
    await t.step("route_conflict next to the path", async () => {
      const r = await b.post(base, { script_id: script, method: "GET", path: "/items/:name" });
      assert.equal(r.status, 409);
      assert.match(r.html, /id="new-path-error"[^>]*>An equivalent route already exists/);
      assert.match(r.html, /name="path"[^>]*value="\/items\/:name"/);
    });
    await t.step("host_not_claimed next to the host", async () => {
      const r = await b.post(base, {
        script_id: script,
        method: "GET",
        path: "/x",
        host: "elsewhere.example.com",
      });
      assert.equal(r.status, 422);
      assert.match(r.html, /id="new-host-error"[^>]*>The app default does not claim/);
    });
    await t.step("an empty path is a field error", async () => {
      const r = await b.post(base, { script_id: script, method: "GET", path: "" });
      assert.equal(r.status, 400);
      assert.match(r.html, /id="new-path-error"/);
    });
    await t.step("preview: the route, script and params", async () => {
      const r = await b.get(
        `${base}?method=GET&url=${encodeURIComponent("http://localhost/items/42")}`,
      );
      assert.equal(r.status, 200);
      assert.match(r.html, /<dd class="mono">GET \/items\/:id<\/dd>/);
      assert.match(r.html, /id=42/);
    });
    await t.step("preview: no_route, method_not_allowed, unclaimed_host", async () => {
      const none = await b.get(
        `${base}?method=GET&url=${encodeURIComponent("http://localhost/nope/a/b")}`,
      );
      assert.equal(none.status, 200);
      assert.match(none.html, /id="preview-url-error"[^>]*>No route for GET \/nope\/a\/b/);
      const method = await b.get(
        `${base}?method=POST&url=${encodeURIComponent("http://localhost/items/1")}`,
      );
      assert.equal(method.status, 200);
      assert.match(method.html, /id="preview-method-error"[^>]*>POST is not routed/);
      const host = await b.get(
        `${base}?method=GET&url=${encodeURIComponent("http://other.example/")}`,
      );
      assert.equal(host.status, 200);
      assert.match(
        host.html,
        /id="preview-url-error"[^>]*>Requests for other.example do not reach/,
      );
      const bad = await b.get(`${base}?method=GET&url=nope`);
      assert.equal(bad.status, 400);
      assert.match(bad.html, /id="preview-url-error"/);
    });
    await t.step("remove asks for confirmation, then → 303", async () => {
      const [route] = await tp.p.db.sql<{ id: string }[]>`
        select id from routes where path = '/items/:id'`;
      const confirm = await b.get(`${base}/${route.id}/delete`);
      assert.equal(confirm.status, 200);
      assert.match(confirm.html, /Remove the route GET \/items\/:id\?/);
      const r = await b.post(`${base}/${route.id}/delete`, {});
      assert.equal(r.status, 303);
      assert.doesNotMatch((await b.get(base)).html, /\/items\/:id/);
      assert.equal((await b.get(`${base}/${route.id}/delete`)).status, 404);
    });
  });
});

Deno.test("console - routes tab: a viewer sees no controls and a post is refused", async () => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    await tp.createUser(token, { email: "v@example.com" });
    const g = await tp.call("POST", "/api/v1/admin/apps/default/members", {
      token,
      body: { email: "v@example.com", role: "viewer" },
    });
    assert.equal(g.status, 201);
    const b = browser(tp);
    await b.signIn("v@example.com", "member-password-1");
    const base = "/admin/apps/default/routes";
    const r = await b.get(base);
    assert.equal(r.status, 200);
    assert.doesNotMatch(r.html, /Add a route|Remove…/);
    assert.match(r.html, /Which script serves a request/);
    const post = await b.post(base, { script_id: await helloId(tp), method: "GET", path: "/v" });
    assert.equal(post.status, 403);
    const [route] = await tp.p.db.sql<{ id: string }[]>`select id from routes`;
    assert.equal((await b.post(`${base}/${route.id}/delete`, {})).status, 403);
  });
});
