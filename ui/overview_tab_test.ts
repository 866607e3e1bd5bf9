/** @module In-process tests of the Overview tab: the default tab, charts from real requests, recent errors. */
import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../testing/platform.ts";
import { browser } from "./browser_testing.ts";

const source = `export default {
  fetch(req) {
    const url = new URL(req.url);
    return new Response("x", { status: url.searchParams.has("fail") ? 503 : 200 });
  },
};`;

Deno.test("console - overview tab: charts and figures from real requests, errors link to logs", async (t) => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    const A = "/api/v1/admin";
    const s = await tp.call("POST", `${A}/scripts`, { token, body: { name: "stats", source } });
    await tp.call("POST", `${A}/routes`, {
      token,
      body: { app_id: "default", script_id: s.body.id, method: "GET", path: "/s/*" },
    });
    for (let i = 0; i < 4; i++) await (await tp.p.tenant.request(`http://localhost/s/${i}`)).text();
    await (await tp.p.tenant.request("http://localhost/s/x?fail=1")).text();
    await tp.p.logs.flush();
    const b = browser(tp);
    await b.signIn(OWNER.email, OWNER.password);

    await t.step("the app page opens on Overview, first of the tabs", async () => {
      const r = await b.get("/admin/apps/default");
      assert.equal(r.status, 200, r.html);
      assert.match(
        r.html,
        /<nav class="tabs"[^>]*><a href="\/admin\/apps\/default\/overview" aria-current="page">Overview<\/a>/,
      );
      assert.equal((await b.get("/admin/apps/default/overview")).status, 200);
    });

    await t.step("three SVG charts with titles and the figures table", async () => {
      const r = await b.get("/admin/apps/default/overview");
      assert.equal((r.html.match(/<svg /g) ?? []).length, 3);
      assert.match(r.html, /<title id="chart-requests-t">Requests per minute<\/title>/);
      assert.match(r.html, /<title id="chart-latency-t">Latency \(p50, p95\)<\/title>/);
      assert.match(r.html, /<strong>5<\/strong> requests, <strong>1<\/strong> error \(20%\)/);
      const row = r.html.match(/<tr><td>\d\d:\d\d<\/td><td>(\d+)<\/td><td>(\d+)<\/td>/g) ?? [];
      const sum = row.map((x) => x.match(/<td>(\d+)<\/td><td>(\d+)<\/td>/)!.slice(1).map(Number))
        .reduce((a, [n, e]) => [a[0] + n, a[1] + e], [0, 0]);
      assert.deepEqual(sum, [5, 1]);
      assert.doesNotMatch(r.html, /<script/);
    });

    await t.step("recent errors link to their entry in the logs", async () => {
      const r = await b.get("/admin/apps/default");
      const m = r.html.match(/<a href="(\/admin\/apps\/default\/logs\?cursor=\d+#log-(\d+))">/);
      assert.ok(m, "a recent error link");
      assert.match(
        r.html,
        /<span class="badge bad">503<\/span> <span class="mono">GET \/s\/x\?fail=1/,
      );
      const logs = await b.get(m[1].split("#")[0]);
      assert.match(logs.html, new RegExp(`<tr id="log-${m[2]}">`));
      assert.ok(logs.html.indexOf(`id="log-${m[2]}"`) < logs.html.indexOf("GET /s/3"));
    });
  });
});

Deno.test("console - overview tab: an empty hour says so", async () => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    await tp.call("POST", "/api/v1/admin/apps", { token, body: { slug: "quiet", name: "Quiet" } });
    const b = browser(tp);
    await b.signIn(OWNER.email, OWNER.password);
    const r = await b.get("/admin/apps/quiet");
    assert.equal(r.status, 200);
    assert.match(r.html, /No errors in the last hour/);
    assert.match(r.html, /No requests in the last hour/);
  });
});
