/** @module In-process tests of the Logs tab: filters, keyset pages, an expanded entry, the tail's mount. */
import assert from "node:assert/strict";
import { insertLogBlocks } from "../orchestrator/mod.ts";
import { testLogRow } from "../testing/db.ts";
import { OWNER, withTestPlatform } from "../testing/platform.ts";
import { browser } from "./browser_testing.ts";
import { LOGS_PAGE } from "./logs_tab.tsx";

const source = `export default {
  fetch(req) {
    const url = new URL(req.url);
    console.log("serving", url.pathname);
    console.error("careful");
    return new Response("x", { status: url.searchParams.has("fail") ? 500 : 200 });
  },
};`;

Deno.test("console - logs tab: real entries, filters, pages, an expanded entry", async (t) => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    const A = "/api/v1/admin";
    const s = await tp.call("POST", `${A}/scripts`, { token, body: { name: "logged", source } });
    await tp.call("POST", `${A}/routes`, {
      token,
      body: { app_id: "default", script_id: s.body.id, method: "GET", path: "/l/*" },
    });
    await (await tp.p.tenant.request("http://localhost/l/ok")).text();
    await (await tp.p.tenant.request("http://localhost/l/bad?fail=1")).text();
    await tp.p.logs.flush();
    const b = browser(tp);
    await b.signIn(OWNER.email, OWNER.password);
    const base = "/admin/apps/default/logs";

    await t.step("the tab lists real entries under the live tail's mount point", async () => {
      const r = await b.get(base);
      assert.equal(r.status, 200, r.html);
      assert.match(r.html, /<a href="\/admin\/apps\/default\/logs" aria-current="page">Logs<\/a>/);
      assert.ok(
        r.html.includes(
          '<section data-island="tail" data-feed="/api/v1/admin/apps/default/logs?follow=1">',
        ),
      );
      assert.match(r.html, />Live tail</);
      assert.ok(r.html.indexOf("GET /l/bad?fail=1") < r.html.indexOf("GET /l/ok"), "newest first");
      assert.match(r.html, /logged<span class="hint"> v1<\/span>/);
    });

    await t.step("an expanded entry shows its console lines", async () => {
      const r = await b.get(`${base}?status=500`);
      assert.match(r.html, /<details class="log-entry">/);
      assert.match(r.html, /\[log\] serving \/l\/bad\n\[error\] careful/);
      assert.doesNotMatch(r.html, /GET \/l\/ok/);
    });

    await t.step("filters: script, class, trigger, outcome", async () => {
      assert.doesNotMatch((await b.get(`${base}?script=logged&status=2xx`)).html, /l\/bad/);
      assert.match((await b.get(`${base}?script=logged&status=2xx`)).html, /GET \/l\/ok/);
      assert.match((await b.get(`${base}?trigger=cron`)).html, /No entries/);
      assert.match((await b.get(`${base}?outcome=timeout`)).html, /No entries/);
      assert.match((await b.get(`${base}?since=2999-01-01T00:00`)).html, /No entries/);
      assert.match((await b.get(`${base}?since=2000-01-01T00:00`)).html, /GET \/l\/ok/);
      const r = await b.get(`${base}?trigger=cron&status=5xx`);
      assert.match(r.html, /value="cron" selected/);
      assert.match(r.html, /name="status" type="text" value="5xx"/);
    });

    await t.step("a bad filter answers 400 next to its field", async () => {
      const r = await b.get(`${base}?status=abc`);
      assert.equal(r.status, 400);
      assert.match(r.html, /id="logs-status-error"[^>]*>Use a status \(404\) or a class \(5xx\)/);
      const since = await b.get(`${base}?since=yesterday`);
      assert.equal(since.status, 400);
      assert.match(since.html, /id="logs-since-error"/);
    });

    await t.step("a stopping limit with the measured usage", async () => {
      const [app] = await tp.p.db.sql<{ id: string }[]>`select id from apps where slug = 'default'`;
      const timeout = { kind: "timeout", limitMs: 100, elapsedMs: 130 };
      await insertLogBlocks(tp.p.db.sql, [
        testLogRow(app.id, 9000, { status: 504, outcome: "timeout", error: timeout }),
      ]);
      const r = await b.get(`${base}?outcome=timeout`);
      assert.match(r.html, /Stopped by timeoutMs: used 130 of 100/);
      assert.match(r.html, /&quot;kind&quot;: &quot;timeout&quot;/);
    });

    await t.step("keyset pages: Older → carries the cursor and the filters", async () => {
      const [app] = await tp.p.db.sql<{ id: string }[]>`select id from apps where slug = 'default'`;
      const rows = Array.from({ length: LOGS_PAGE + 5 }, (_, i) => testLogRow(app.id, i + 1));
      await insertLogBlocks(tp.p.db.sql, rows);
      const first = await b.get(`${base}?trigger=http&status=200`);
      const m = first.html.match(/href="([^"]*cursor=\d+)" rel="next">Older →/);
      assert.ok(m, "an Older link");
      const href = m[1].replaceAll("&amp;", "&");
      assert.match(href, /trigger=http/);
      assert.match(first.html, /GET \/p\/55</);
      assert.doesNotMatch(first.html, /GET \/p\/5</);
      const second = await b.get(href);
      assert.equal(second.status, 200);
      assert.match(second.html, /GET \/p\/5</);
      assert.match(second.html, /GET \/l\/ok</);
      assert.doesNotMatch(second.html, /GET \/p\/55</);
      assert.doesNotMatch(second.html, /rel="next"/);
      assert.match(second.html, /← Newest/);
    });
  });
});

Deno.test("console - logs tab: an app the caller is not in is not found", async () => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    await tp.createUser(token, { email: "m@example.com" });
    const b = browser(tp);
    await b.signIn("m@example.com", "member-password-1");
    assert.equal((await b.get("/admin/apps/default/logs")).status, 404);
  });
});
