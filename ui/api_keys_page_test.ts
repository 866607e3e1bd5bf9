/** @module In-process tests of the API keys page: create (key shown once), errors, delete. */
import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../testing/platform.ts";
import { browser } from "./browser_testing.ts";

Deno.test("console - API keys: create shows the key once, errors next to fields, delete", async (t) => {
  await withTestPlatform(async (tp) => {
    const b = browser(tp);
    await b.signIn(OWNER.email, OWNER.password);
    const base = "/admin/api-keys";
    await t.step("the header links to the page; no keys yet", async () => {
      assert.match((await b.get("/admin")).html, /href="\/admin\/api-keys"/);
      const r = await b.get(base);
      assert.equal(r.status, 200);
      assert.match(r.html, /No API keys yet/);
    });
    let key = "";
    await t.step("create → the key once, in a read-only input, and it works", async () => {
      const [app] = await tp.p.db.sql<{ id: string }[]>`select id from apps where slug = 'default'`;
      const r = await b.post(base, {
        name: "deploy bot",
        app_id: app.id,
        read_only: "on",
        expires: "2999-12-31",
      });
      assert.equal(r.status, 200);
      key = /<input id="new-key" class="mono" value="([^"]+)" readonly/.exec(r.html)![1];
      assert.match(r.html, /will not be shown again/);
      const me = await tp.call("GET", "/api/v1/admin/me", { token: key });
      assert.equal(me.status, 200);
      const list = await b.get(base);
      assert.match(list.html, /deploy bot/);
      assert.match(list.html, /read-only/);
      assert.match(list.html, /2999-12-31 23:59 UTC/);
      assert.equal(list.html.includes(key), false, "the key is never shown again");
    });
    await t.step("an API key is refused: sessions only", async () => {
      const res = await tp.p.console.request("http://localhost/admin/api-keys", {
        headers: { authorization: `Bearer ${key}` },
        redirect: "manual",
      });
      assert.notEqual(res.status, 200);
      assert.doesNotMatch(await res.text(), /deploy bot/);
    });
    await t.step("an empty name and a past expiry next to their fields", async () => {
      const r = await b.post(base, { name: "", app_id: "", expires: "" });
      assert.equal(r.status, 400);
      assert.match(r.html, /id="key-name-error"/);
      const past = await b.post(base, { name: "old", app_id: "", expires: "2001-01-01" });
      assert.equal(past.status, 400);
      assert.match(past.html, /id="key-expires-error"[^>]*>expires_at must be in the future/);
      assert.match(past.html, /name="name"[^>]*value="old"/);
      const badApp = await b.post(base, { name: "x", app_id: "nope" });
      assert.equal(badApp.status, 404);
      assert.match(badApp.html, /id="key-app_id-error"[^>]*>No app nope/);
    });
    await t.step("delete asks for confirmation, then → 303 and the key stops working", async () => {
      const [row] = await tp.p.db.sql<{ id: string }[]>`select id from api_keys`;
      const confirm = await b.get(`${base}/${row.id}/delete`);
      assert.match(confirm.html, /Delete the API key deploy bot/);
      const r = await b.post(`${base}/${row.id}/delete`, {});
      assert.equal(r.status, 303);
      assert.equal(r.location, base);
      assert.equal((await tp.call("GET", "/api/v1/admin/me", { token: key })).status, 401);
      assert.equal((await b.get(`${base}/${row.id}/delete`)).status, 404);
    });
  });
});

Deno.test("console - API keys: another user's key is not found to a member", async () => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    const made = await tp.call("POST", "/api/v1/admin/api-keys", { token, body: { name: "own" } });
    assert.equal(made.status, 201);
    await tp.createUser(token, { email: "m@example.com" });
    const b = browser(tp);
    await b.signIn("m@example.com", "member-password-1");
    const page = await b.get("/admin/api-keys");
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.html, />own</);
    const id = made.body.id;
    assert.equal((await b.get(`/admin/api-keys/${id}/delete`)).status, 404);
    assert.equal((await b.post(`/admin/api-keys/${id}/delete`, {})).status, 404);
    assert.equal((await tp.p.db.sql`select 1 from api_keys`).length, 1);
  });
});
