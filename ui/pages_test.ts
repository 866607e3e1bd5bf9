/** @module In-process tests of the console's pages and form handlers (`app.request()`). */
import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../testing/platform.ts";
import { browser } from "./browser_testing.ts";

Deno.test("console - unauthenticated pages redirect to sign-in and back", async (t) => {
  await withTestPlatform(async (tp) => {
    const b = browser(tp);
    await t.step("a page → 303 to /admin/login?next=…", async () => {
      const r = await b.get("/admin/apps/default/members?x=1");
      assert.equal(r.status, 303);
      assert.equal(r.location, "/admin/login?next=%2Fadmin%2Fapps%2Fdefault%2Fmembers%3Fx%3D1");
    });
    await t.step("a wrong password shows the form again with the message", async () => {
      const r = await b.post("/admin/login", { email: OWNER.email, password: "nope" });
      assert.equal(r.status, 401);
      assert.match(r.html, /The email or password is not correct/);
      assert.match(r.html, /<input[^>]*name="email"[^>]*value="owner@example.com"/);
    });
    await t.step("signing in returns to a same-site next only", async () => {
      const ok = await b.post("/admin/login", { ...OWNER, next: "/admin/apps/default" });
      assert.equal(ok.status, 303);
      assert.equal(ok.location, "/admin/apps/default");
      for (const next of ["//evil.example/", "https://evil.example/admin", "/\\evil.example"]) {
        const r = await b.post("/admin/login", { ...OWNER, next });
        assert.equal(r.location, "/admin", next);
      }
    });
    await t.step("the stylesheet is served with a versioned name and long cache", async () => {
      const page = await b.get("/admin");
      const href = /href="(\/admin\/static\/console\.[0-9a-f]{8}\.css)"/.exec(page.html)![1];
      const res = await tp.p.console.request(`http://localhost${href}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("cache-control")!, /max-age=31536000, immutable/);
      assert.match(await res.text(), /prefers-color-scheme: dark/);
    });
    await t.step("signing out ends the session", async () => {
      const r = await b.post("/admin/logout", {});
      assert.equal(r.status, 303);
      assert.equal((await b.get("/admin")).status, 303);
    });
  });
});

Deno.test("console - cross-site posts are refused, signed in or not", async () => {
  await withTestPlatform(async (tp) => {
    const b = browser(tp);
    const login = await b.post("/admin/login", { ...OWNER }, { "sec-fetch-site": "cross-site" });
    assert.equal(login.status, 403);
    await b.signIn(OWNER.email, OWNER.password);
    const r = await b.post("/admin/apps", { slug: "evil", name: "Evil" }, {
      "sec-fetch-site": "cross-site",
    });
    assert.equal(r.status, 403);
    assert.match(r.html, /Cross-site request refused/);
    const noMeta = await b.post("/admin/apps", { slug: "evil", name: "Evil" }, {
      "sec-fetch-site": "",
      origin: "http://evil.example",
    });
    assert.equal(noMeta.status, 403);
    const apps = await tp.p.db.sql`select 1 from apps where slug = 'evil'`;
    assert.equal(apps.length, 0);
  });
});

Deno.test("console - app forms: errors next to fields, 303 on success", async (t) => {
  await withTestPlatform(async (tp) => {
    const b = browser(tp);
    await b.signIn(OWNER.email, OWNER.password);
    await t.step("an invalid slug is shown next to the field", async () => {
      const r = await b.post("/admin/apps", { slug: "Bad Slug", name: "" });
      assert.equal(r.status, 400);
      assert.match(r.html, /id="new-slug-error"[^>]*>Use 1-63 lower-case/);
      assert.match(r.html, /id="new-name-error"/);
    });
    await t.step("create → 303 to the app's page", async () => {
      const r = await b.post("/admin/apps", { slug: "shop", name: "Shop" });
      assert.equal(r.status, 303);
      assert.equal(r.location, "/admin/apps/shop");
      assert.match((await b.get("/admin/apps/shop")).html, /<h1>Shop/);
    });
    await t.step("slug_taken next to the field", async () => {
      const r = await b.post("/admin/apps", { slug: "shop", name: "Again" });
      assert.equal(r.status, 409);
      assert.match(r.html, /id="new-slug-error"[^>]*>The slug shop is in use/);
    });
    await t.step("search filters by slug or name", async () => {
      const r = await b.get("/admin?q=SHO");
      assert.match(r.html, /href="\/admin\/apps\/shop"/);
      assert.doesNotMatch(r.html, /href="\/admin\/apps\/default"/);
    });
    await t.step("rename: check, confirm, and the old slug redirects", async () => {
      const check = await b.get("/admin/apps/shop/settings?new_slug=store");
      assert.match(check.html, /store is available/);
      const r = await b.post("/admin/apps/shop/rename", { slug: "store" });
      assert.equal(r.location, "/admin/apps/store/settings");
      const old = await b.get("/admin/apps/shop/members");
      assert.equal(old.status, 308);
      assert.equal(old.location, "/admin/apps/store/members");
      const held = await b.post("/admin/apps", { slug: "shop", name: "New shop" });
      assert.equal(held.status, 409);
      assert.match(held.html, /name="force"/);
    });
    await t.step("domains: invalid and taken are shown next to the field", async () => {
      const bad = await b.post("/admin/apps/store/domains", { pattern: "not a domain" });
      assert.equal(bad.status, 400);
      assert.match(bad.html, /id="f-pattern-error"/);
      const taken = await b.post("/admin/apps/store/domains", { pattern: "localhost" });
      assert.equal(taken.status, 409);
      assert.match(taken.html, /id="f-pattern-error"[^>]*>The domain localhost is already claimed/);
      const ok = await b.post("/admin/apps/store/domains", { pattern: "shop.example.com" });
      assert.equal(ok.status, 303);
    });
    await t.step("members: unknown email next to the field; grant → 303", async () => {
      const bad = await b.post("/admin/apps/store/members", {
        email: "x@example.com",
        role: "viewer",
      });
      assert.equal(bad.status, 404);
      assert.match(bad.html, /id="f-email-error"[^>]*>No such user/);
    });
    await t.step("an unknown app is a 404 page", async () => {
      const r = await b.get("/admin/apps/nope/settings");
      assert.equal(r.status, 404);
      assert.match(r.html, /No app nope/);
    });
    await t.step("delete asks for confirmation", async () => {
      const wrong = await b.post("/admin/apps/store/delete", { confirm: "nope" });
      assert.equal(wrong.status, 400);
      const r = await b.post("/admin/apps/store/delete", { confirm: "store" });
      assert.equal(r.location, "/admin");
    });
  });
});

Deno.test("console - a member sees their apps only and no admin controls", async () => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    await tp.createUser(token, { email: "m@example.com" });
    for (const slug of ["mine", "other"]) {
      await tp.call("POST", "/api/v1/admin/apps", { token, body: { slug, name: slug } });
    }
    const g = await tp.call("POST", "/api/v1/admin/apps/mine/members", {
      token,
      body: { email: "m@example.com", role: "viewer" },
    });
    assert.equal(g.status, 201);
    const b = browser(tp);
    await b.signIn("m@example.com", "member-password-1");
    const list = await b.get("/admin");
    assert.match(list.html, /href="\/admin\/apps\/mine"/);
    assert.doesNotMatch(list.html, /apps\/other|New app/);
    const members = await b.get("/admin/apps/mine/members");
    assert.equal(members.status, 200);
    assert.doesNotMatch(members.html, /Add a member|Revoke/);
    assert.equal((await b.get("/admin/apps/other/members")).status, 404);
    // The service still refuses what the page hides.
    const r = await b.post("/admin/apps/mine/members", { email: OWNER.email, role: "admin" });
    assert.equal(r.status, 403);
  });
});

Deno.test("console - first-run setup creates the owner and signs in", async () => {
  await withTestPlatform(async (tp) => {
    const token = /token=([A-Za-z0-9_-]+)/.exec(tp.lines.join("\n"))![1];
    const b = browser(tp);
    const form = await b.get(`/admin/setup?token=${token}`);
    assert.match(form.html, new RegExp(`name="token" value="${token}"`));
    const short = await b.post("/admin/setup", {
      token,
      email: "first@example.com",
      password: "x",
    });
    assert.equal(short.status, 400);
    assert.match(short.html, /id="f-password-error"[^>]*>At least 8 characters/);
    const bad = await b.post("/admin/setup", {
      token: "nope",
      email: "first@example.com",
      password: "first-password-1",
    });
    assert.equal(bad.status, 403);
    const ok = await b.post("/admin/setup", {
      token,
      email: "first@example.com",
      password: "first-password-1",
    });
    assert.equal(ok.status, 303);
    assert.match((await b.get("/admin")).html, /first@example.com/);
  }, { PICLOUD_BOOTSTRAP_EMAIL: "", PICLOUD_BOOTSTRAP_PASSWORD: "" });
});
