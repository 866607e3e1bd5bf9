/**
 * @module The islands end to end in headless Chromium: a TEST-ONLY page (mounted here, not in the
 * console's routes) renders the editor and the live-tail markup contracts through the console's
 * layout, under its CSP, in front of a real platform. Screenshots go to `.picloud/screenshots/`.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { html } from "hono/html";
import { OWNER, withTestPlatform } from "../testing/platform.ts";
import { buildIslands } from "./build_islands.ts";
import { page, type UiEnv } from "./layout.tsx";
import { CONSOLE_CSP } from "./mod.ts";
import { loadConsoleCss, loadIslands } from "./static.ts";
import { hasChromium, launchChromium, shooter } from "./chromium_testing.ts";

const A = "/api/v1/admin";
const SOURCE = `export default {
  fetch(req: Request): Response {
    return new Response(undefinedName);
  },
};
`;
const DIAGNOSTICS = [{ line: 3, column: 25, message: "Cannot find name 'undefinedName'" }];

const shoot = shooter();

/** The test-only pages, in front of the platform's console (which serves the bundles). */
function testPages(consoleApp: Hono, received: string[]): Hono {
  const css = loadConsoleCss();
  const hrefs = new Map([...loadIslands()].map(([n, a]) => [n, a.href]));
  const app = new Hono<UiEnv>();
  app.use("/test/*", async (c, next) => {
    c.set("css", css.href);
    c.set("me", null);
    c.set("islands", hrefs);
    await next();
    c.res.headers.set("content-security-policy", CONSOLE_CSP);
  });
  app.get("/test/editor", (c) =>
    page(
      c,
      { title: "Editor", islands: ["editor"] },
      html`
        <h1>Edit script</h1>
        <form method="post" action="/test/editor" class="panel">
          <div class="field">
            <label for="source">Source</label>
            <textarea id="source" name="source" rows="12" data-island="editor"
              data-language="typescript" data-diagnostics="${JSON.stringify(DIAGNOSTICS)}"
            >${SOURCE}</textarea>
          </div>
          <div class="actions"><button type="submit">Deploy</button></div>
        </form>
      `,
    ));
  app.post("/test/editor", async (c) => {
    received.push(String((await c.req.formData()).get("source")));
    return c.redirect("/test/editor?saved=1", 303);
  });
  app.get("/test/tail/:slug", (c) =>
    page(
      c,
      { title: "Logs", islands: ["tail"] },
      html`
        <h1>Logs</h1>
        <section class="panel" data-island="tail"
          data-feed="${A}/apps/${c.req.param("slug")}/logs?follow=1">
          <h2>Live tail</h2>
          <button type="button">Live tail</button>
        </section>
      `,
    ));
  app.all("*", (c) => consoleApp.fetch(c.req.raw));
  return app as unknown as Hono;
}

Deno.test({
  name: "islands e2e - the editor posts what was typed; the live tail shows a new request",
  ignore: !hasChromium && !Deno.env.get("CI"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await buildIslands();
    await withTestPlatform(async (tp) => {
      const token = await tp.login(OWNER.email, OWNER.password);
      const s = await tp.call("POST", `${A}/scripts`, {
        token,
        body: {
          app_id: "default",
          name: "hello",
          source: `export default { fetch: () => new Response("hi") };`,
        },
      });
      assert.equal(s.status, 201, JSON.stringify(s.body));
      const route = await tp.call("POST", `${A}/routes`, {
        token,
        body: { app_id: "default", script_id: s.body.id, method: "GET", path: "/hello" },
      });
      assert.equal(route.status, 201, JSON.stringify(route.body));

      const received: string[] = [];
      const app = testPages(tp.p.console, received);
      const server = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen: () => {} },
        (req) => app.fetch(req),
      );
      const origin = `http://127.0.0.1:${server.addr.port}`;
      const browser = await launchChromium();
      const errors: string[] = [];
      try {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const p = await ctx.newPage();
        p.setDefaultTimeout(15_000);
        p.on("console", (m) => {
          if (m.type() === "error") errors.push(m.text());
        });
        p.on("pageerror", (e) => errors.push(String(e)));
        await p.addInitScript({
          content: `document.addEventListener("securitypolicyviolation", (e) =>
            console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI));`,
        });

        await t.step("sign in through the console's form", async () => {
          await p.goto(`${origin}/admin/login`);
          await p.getByLabel("Email").fill(OWNER.email);
          await p.getByLabel("Password").fill(OWNER.password);
          await p.getByRole("button", { name: "Sign in" }).click();
          await p.waitForURL(`${origin}/admin`);
        });

        await t.step("editor: replaces the textarea and shows the diagnostic", async () => {
          await p.goto(`${origin}/test/editor`);
          const editor = p.locator(".island-editor .cm-content");
          await editor.waitFor();
          assert.equal(await p.locator("textarea[name=source]").isHidden(), true);
          const marker = p.locator(".cm-lintRange-error");
          await marker.waitFor();
          assert.equal(await marker.textContent(), "undefinedName");
          await p.locator(".cm-lint-marker-error").waitFor();
          await shoot(p, "islands-01-editor");
        });

        await t.step("editor: typing reaches the server when the form posts", async () => {
          await p.getByRole("textbox", { name: "Source" }).click();
          await p.keyboard.press("ControlOrMeta+End");
          await p.keyboard.type("// typed in the browser\n");
          await p.getByRole("button", { name: "Deploy" }).click();
          await p.waitForURL(`${origin}/test/editor?saved=1`);
          assert.equal(received.length, 1);
          // Browsers post a textarea's line breaks as CRLF, with or without the island.
          assert.equal(received[0].replaceAll("\r\n", "\n"), `${SOURCE}// typed in the browser\n`);
        });

        await t.step("editor: Tab indents, Escape then Tab leaves the editor", async () => {
          await p.locator(".island-editor .cm-content").click();
          await p.keyboard.press("Tab");
          assert.equal(
            await p.evaluate<boolean>(
              'document.activeElement.shadowRoot.activeElement.classList.contains("cm-content")',
            ),
            true,
          );
          await p.keyboard.press("Escape");
          await p.keyboard.press("Tab");
          assert.equal(
            await p.evaluate<string>("document.activeElement.textContent"),
            "Deploy",
          );
        });

        await t.step("editor: dark mode follows the system", async () => {
          await p.emulateMedia({ colorScheme: "dark" });
          await p.goto(`${origin}/test/editor`);
          await p.locator(".cm-lintRange-error").waitFor();
          const bg = await p.evaluate<string>(
            "getComputedStyle(document.querySelector('.island-editor').shadowRoot" +
              ".querySelector('.cm-editor')).backgroundColor",
          );
          assert.equal(bg, "rgb(29, 33, 41)");
          await shoot(p, "islands-02-editor-dark");
          await p.emulateMedia({ colorScheme: "light" });
        });

        await t.step("tail: a request to the script appears as a row", async () => {
          await p.goto(`${origin}/test/tail/default`);
          await p.getByRole("button", { name: "Live tail" }).click();
          await p.getByRole("status").getByText("live").waitFor();
          assert.equal(await p.getByRole("button", { name: "Live tail" }).isHidden(), true);
          const res = await tp.p.tenant.request("http://localhost/hello");
          assert.equal(await res.text(), "hi");
          const row = p.locator(".tail-rows tbody tr").first();
          await row.waitFor();
          const cells = await row.locator("td").allTextContents();
          assert.deepEqual(cells.slice(1, 4), ["200", "GET", "/hello"]);
          assert.equal(cells[5], "ok");
          await shoot(p, "islands-03-tail");
        });

        await t.step("tail: Pause holds rows back until Resume", async () => {
          await p.getByRole("button", { name: "Pause" }).click();
          await (await tp.p.tenant.request("http://localhost/hello?second=1")).text();
          await p.getByText("paused (1 new)").waitFor();
          assert.equal(await p.locator(".tail-rows tbody tr").count(), 1);
          await p.getByRole("button", { name: "Resume" }).click();
          await p.locator(".tail-rows tbody tr").nth(1).waitFor();
          assert.equal(
            await p.locator(".tail-rows tbody tr").first().locator("td.path").textContent(),
            "/hello?second=1",
          );
          await p.emulateMedia({ colorScheme: "dark" });
          await shoot(p, "islands-04-tail-dark");
        });

        await t.step("tail: shows reconnecting… when the stream drops", async () => {
          tp.p.endStreams();
          // Ending the platform's streams is for shutdown: the browser keeps retrying.
          await p.getByRole("status").getByText("reconnecting…").waitFor();
        });
        assert.deepEqual(errors.filter((e) => /CSP|Error/.test(e)), []);
      } finally {
        await browser.close();
        await server.shutdown();
      }
    });
  },
});
