/**
 * @module The Overview, Logs and System pages end to end in a real headless Chromium against a
 * platform on a free loopback port, with traffic from really run scripts. Screenshots at 1280 px
 * and 375 px (and dark mode) go under `.picloud/screenshots/` with the `obs-` prefix.
 */
import assert from "node:assert/strict";
import { insertLogBlocks } from "../orchestrator/mod.ts";
import { testLogRow } from "../testing/db.ts";
import { OWNER, withTestPlatform } from "../testing/platform.ts";
import { hasChromium, launchChromium, shooter } from "./chromium_testing.ts";

const source = `export default {
  async fetch(req) {
    const url = new URL(req.url);
    const n = Number(url.pathname.split("/").pop()) || 0;
    console.log("handling", url.pathname);
    await new Promise((r) => setTimeout(r, n % 7));
    if (url.searchParams.has("fail")) {
      console.error("upstream refused the order", n);
      return new Response("no", { status: 502 });
    }
    return new Response("ok");
  },
};`;

const shoot = shooter("obs-");

Deno.test({
  name: "console e2e - overview charts, logs with an expanded entry, system page",
  ignore: !hasChromium && !Deno.env.get("CI"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await withTestPlatform(async (tp) => {
      const token = await tp.login(OWNER.email, OWNER.password);
      const A = "/api/v1/admin";
      const s = await tp.call("POST", `${A}/scripts`, { token, body: { name: "orders", source } });
      assert.equal(s.status, 201);
      await tp.call("POST", `${A}/routes`, {
        token,
        body: { app_id: "default", script_id: s.body.id, method: "GET", path: "/orders/*" },
      });
      for (let i = 0; i < 40; i++) {
        const fail = i % 9 === 4 ? "?fail=1" : "";
        await (await tp.p.tenant.request(`http://localhost/orders/${i}${fail}`)).text();
      }
      await tp.p.logs.flush();
      // An hour of earlier traffic, so the charts have a shape: busier and slower mid-hour.
      const [app] = await tp.p.db.sql<{ id: string }[]>`select id from apps where slug = 'default'`;
      const rows = [];
      for (let m = 59; m >= 1; m--) {
        const busy = 4 + Math.round(6 * Math.sin((m / 59) * Math.PI)) + (m % 5);
        for (let j = 0; j < busy; j++) {
          rows.push(testLogRow(app.id, m * 100 + j, {
            at: new Date(Date.now() - m * 60_000 - j * 1000),
            duration_ms: 5 + ((m * 13 + j * 7) % 40) + (j === busy - 1 ? 60 + (m % 9) * 10 : 0),
            status: (m + j) % 17 === 0 ? 500 : 200,
          }));
        }
      }
      await insertLogBlocks(tp.p.db.sql, rows);

      const server = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen: () => {} },
        (req, info) => tp.p.console.fetch(req, info),
      );
      const origin = `http://127.0.0.1:${server.addr.port}`;
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        page.setDefaultTimeout(15_000);
        // Signing in leads back to the app page, which opens on its Overview.
        await page.goto(`${origin}/admin/apps/default`);
        await page.getByLabel("Email").fill(OWNER.email);
        await page.getByLabel("Password").fill(OWNER.password);
        await page.getByRole("button", { name: "Sign in" }).click();

        await t.step("overview with data", async () => {
          await page.getByRole("img", { name: /Requests per minute/ }).waitFor();
          assert.equal(await page.locator("svg[role=img]").count(), 3);
          await shoot(page, "01-overview");
          await page.emulateMedia({ colorScheme: "dark" });
          await shoot(page, "02-overview-dark");
          await page.emulateMedia({ colorScheme: "light" });
        });

        await t.step("a recent error opens the logs with an expanded entry", async () => {
          await page.locator(".recent-errors a").first().click();
          await page.waitForURL(/\/logs\?cursor=/);
          await page.locator("details.log-entry").first().waitFor();
          // The failed requests only, so the page fits a screenshot.
          await page.goto(`${origin}/admin/apps/default/logs?script=orders&status=5xx`);
          const entry = page.locator("details.log-entry").first();
          await entry.locator("summary").click();
          await entry.getByText("upstream refused the order").waitFor();
          await shoot(page, "03-logs-expanded");
          await page.emulateMedia({ colorScheme: "dark" });
          await shoot(page, "04-logs-dark");
          await page.emulateMedia({ colorScheme: "light" });
        });

        await t.step("the logs filter form", async () => {
          await page.goto(`${origin}/admin/apps/default/logs`);
          await page.getByLabel("Script").selectOption("orders");
          await page.getByLabel("Status").fill("5xx");
          await page.getByRole("button", { name: "Filter" }).click();
          await page.waitForURL(/status=5xx/);
          assert.equal(await page.locator("tbody tr").count(), 4);
        });

        await t.step("system page", async () => {
          await page.getByRole("link", { name: "System" }).click();
          await page.waitForURL(`${origin}/admin/system`);
          await page.getByRole("heading", { name: "Executors" }).waitFor();
          await shoot(page, "05-system");
          await page.emulateMedia({ colorScheme: "dark" });
          await shoot(page, "06-system-dark");
        });
      } finally {
        await browser.close();
        await server.shutdown();
      }
    });
  },
});
