/** @module In-process tests of the system page: what an owner sees, and refused to a member. */
import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../testing/platform.ts";
import { browser } from "./browser_testing.ts";

Deno.test("console - system page: versions, database, executors for the owner", async () => {
  await withTestPlatform(async (tp) => {
    await (await tp.p.tenant.request("http://localhost/")).text();
    const b = browser(tp);
    await b.signIn(OWNER.email, OWNER.password);
    assert.match((await b.get("/admin")).html, /href="\/admin\/system"/);
    const r = await b.get("/admin/system");
    assert.equal(r.status, 200, r.html);
    assert.ok(r.html.includes(`Deno ${Deno.version.deno}`));
    assert.match(r.html, /Embedded PGlite in|PostgreSQL at/);
    assert.match(r.html, /<a href="\/admin\/apps\/default">default<\/a>/);
    assert.match(r.html, /Execution-log writer/);
    assert.match(r.html, /Backlog<\/dt><dd>\d+ rows/);
  });
});

Deno.test("console - system page: a member gets 403 and no header link", async () => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    await tp.createUser(token, { email: "m@example.com" });
    const b = browser(tp);
    await b.signIn("m@example.com", "member-password-1");
    assert.doesNotMatch((await b.get("/admin")).html, /href="\/admin\/system"/);
    assert.equal((await b.get("/admin/system")).status, 403);
  });
});
