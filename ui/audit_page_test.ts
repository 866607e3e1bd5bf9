/** @module In-process tests of the audit page: entries newest first, filters, access. */
import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../testing/platform.ts";
import { browser } from "./browser_testing.ts";

Deno.test("console - audit: newest first, filters, a bad date next to its field", async (t) => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    await tp.call("POST", "/api/v1/admin/apps", { token, body: { slug: "blog", name: "Blog" } });
    await tp.createUser(token, { email: "m@example.com" });
    const b = browser(tp);
    await b.signIn(OWNER.email, OWNER.password);
    const base = "/admin/audit";
    await t.step("the header links to it; entries with actor email, newest first", async () => {
      assert.match((await b.get("/admin")).html, /href="\/admin\/audit"/);
      const r = await b.get(base);
      assert.equal(r.status, 200);
      const user = r.html.indexOf(">user.create<");
      const app = r.html.indexOf(">app.create<");
      assert.ok(user > 0 && app > 0 && user < app, "newest first");
      assert.match(r.html, /<td>owner@example\.com<\/td>/);
      assert.match(r.html, /<details><summary>Before \/ after<\/summary>/);
      assert.match(r.html, /&quot;slug&quot;: &quot;blog&quot;/);
    });
    await t.step("filters: app, actor, since", async () => {
      const byApp = await b.get(`${base}?app=blog&actor=&since=`);
      assert.match(byApp.html, />app.create</);
      assert.doesNotMatch(byApp.html, />user.create</);
      assert.match(byApp.html, /<option value="blog" selected/);
      const [m] = await tp.p.db.sql<
        { id: string }[]
      >`select id from admin_users where email = 'm@example.com'`;
      assert.match((await b.get(`${base}?actor=${m.id}`)).html, /No entries/);
      assert.match((await b.get(`${base}?since=2999-01-01`)).html, /No entries/);
      assert.match((await b.get(`${base}?since=2000-01-01`)).html, />app.create</);
    });
    await t.step("a bad date and an unknown app next to their fields", async () => {
      const bad = await b.get(`${base}?since=yesterday`);
      assert.equal(bad.status, 400);
      assert.match(bad.html, /id="audit-since-error"/);
      const none = await b.get(`${base}?app=nope`);
      assert.equal(none.status, 404);
      assert.match(none.html, /id="audit-app-error"/);
    });
  });
});

Deno.test("console - audit: a member gets 403 and no header link", async () => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    await tp.createUser(token, { email: "m@example.com" });
    const b = browser(tp);
    await b.signIn("m@example.com", "member-password-1");
    assert.doesNotMatch((await b.get("/admin")).html, /href="\/admin\/audit"/);
    assert.equal((await b.get("/admin/audit")).status, 403);
    assert.equal((await b.get("/admin/audit?app=default")).status, 403);
  });
});
