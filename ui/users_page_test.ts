/** @module In-process tests of the users page: create, field errors, role guards, deactivate. */
import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../testing/platform.ts";
import { browser } from "./browser_testing.ts";

Deno.test("console - users: create, email_taken next to the field, guards, deactivate", async (t) => {
  await withTestPlatform(async (tp) => {
    const b = browser(tp);
    await b.signIn(OWNER.email, OWNER.password);
    const base = "/admin/users";
    const idOf = async (email: string) =>
      (await tp.p.db.sql<{ id: string }[]>`select id from admin_users where email = ${email}`)[0]
        .id;
    await t.step("the header links to the page; the owner is listed", async () => {
      assert.match((await b.get("/admin")).html, /href="\/admin\/users"/);
      const r = await b.get(base);
      assert.equal(r.status, 200);
      assert.match(r.html, /owner@example\.com/);
    });
    await t.step("create → 303 and the user in the list", async () => {
      const r = await b.post(base, {
        email: "ann@example.com",
        password: "ann-password-1",
        display_name: "Ann",
        instance_role: "member",
      });
      assert.equal(r.status, 303);
      assert.equal(r.location, base);
      const list = await b.get(base);
      assert.match(list.html, /ann@example\.com/);
      assert.match(list.html, />Ann</);
    });
    await t.step("a taken email and a short password next to their fields", async () => {
      const taken = await b.post(base, {
        email: "ann@example.com",
        password: "ann-password-1",
        instance_role: "member",
      });
      assert.equal(taken.status, 409);
      assert.match(taken.html, /id="user-email-error"[^>]*>A user with this email already exists/);
      assert.match(taken.html, /name="email"[^>]*value="ann@example.com"/);
      assert.doesNotMatch(taken.html, /ann-password-1/);
      const short = await b.post(base, { email: "bo@example.com", password: "x" });
      assert.equal(short.status, 400);
      assert.match(short.html, /id="user-password-error"/);
    });
    await t.step("the last owner cannot be demoted: the guard's message", async () => {
      const r = await b.post(`${base}/${await idOf(OWNER.email)}/role`, {
        instance_role: "member",
      });
      assert.equal(r.status, 409);
      assert.match(r.html, /role="alert">The last active owner cannot be demoted/);
    });
    await t.step("change a role → 303", async () => {
      const r = await b.post(`${base}/${await idOf("ann@example.com")}/role`, {
        instance_role: "admin",
      });
      assert.equal(r.status, 303);
      const [row] = await tp.p.db.sql<
        { instance_role: string }[]
      >`select instance_role from admin_users where email = 'ann@example.com'`;
      assert.equal(row.instance_role, "admin");
    });
    await t.step("deactivate asks for confirmation, then → 303; reactivate", async () => {
      const id = await idOf("ann@example.com");
      const confirm = await b.get(`${base}/${id}/active`);
      assert.match(confirm.html, /Deactivate ann@example.com\?/);
      const r = await b.post(`${base}/${id}/active`, { active: "false" });
      assert.equal(r.status, 303);
      assert.match((await b.get(base)).html, /deactivated/);
      assert.match((await b.get(`${base}/${id}/active`)).html, /Reactivate ann@example.com\?/);
      assert.equal((await b.post(`${base}/${id}/active`, { active: "true" })).status, 303);
      assert.doesNotMatch((await b.get(base)).html, /deactivated/);
      assert.equal((await b.get(`${base}/nope/active`)).status, 404);
    });
  });
});

Deno.test("console - users: an admin is not offered owner; a member gets 403 and no link", async () => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    await tp.createUser(token, {
      email: "a@example.com",
      password: "admin-password-1",
      role: "admin",
    });
    await tp.createUser(token, { email: "m@example.com" });
    const admin = browser(tp);
    await admin.signIn("a@example.com", "admin-password-1");
    const page = await admin.get("/admin/users");
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.html, /<option value="owner"/);
    const r = await admin.post("/admin/users", {
      email: "o2@example.com",
      password: "owner-password-2",
      instance_role: "owner",
    });
    assert.equal(r.status, 403);
    const member = browser(tp);
    await member.signIn("m@example.com", "member-password-1");
    assert.doesNotMatch((await member.get("/admin")).html, /href="\/admin\/users"/);
    assert.equal((await member.get("/admin/users")).status, 403);
    assert.equal(
      (await member.post("/admin/users", { email: "x@example.com", password: "x-password-1" }))
        .status,
      403,
    );
  });
});
