/**
 * @module The console's whole flow as one person meets it, end to end in a real headless
 * Chromium against a platform on a loopback port that starts with NO owner: setup from the
 * one-time URL the server logs, sign-in, an app, a domain, a script (a broken deploy first, then a
 * fixed one), a route, Try it, the live tail, a rollback, a member and their restricted view, a
 * rename and the old URL's redirect. Every page is saved at 1280 px and 375 px under
 * `.picloud/screenshots/flow-NN-name-WIDTH.png`.
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { withTestPlatform } from "../testing/platform.ts";
import { hasChromium, launchChromium, shooter } from "./chromium_testing.ts";

const OWNER = { email: "pi@example.com", password: "owner-password-1" };
const MEMBER = { email: "viewer@example.com", password: "viewer-password-1" };

/** Version 1 (created with the script) and version 3 (the fix) answer differently. */
const greeter = (tag: string) =>
  `export default {
  fetch(req) {
    const url = new URL(req.url);
    console.log("greeting " + url.pathname);
    return Response.json({ hello: url.searchParams.get("name") ?? "world", tag: "${tag}" });
  },
};
`;
const FIRST = greeter("first");
const FIXED = greeter("fixed");
/** Line 5 cannot compile. */
const BROKEN = `export default {
  fetch(req) {
    const url = new URL(req.url);
    console.log("greeting " + url.pathname);
    return Response.json({ hello: url.searchParams.get("name") ?? , tag: "broken" });
  },
};
`;

const shoot = shooter("flow-", { noOverflow: true });

/** A loopback port free a moment ago, so the server's printed setup URL points at this server. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

/** Replaces the editor's whole text, as a person pasting a new source would. */
async function setSource(page: Page, text: string): Promise<void> {
  await page.locator(".island-editor .cm-content").click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
}

/** Sends one request through the script page's Try it section and returns the response body. */
async function tryIt(page: Page, path: string): Promise<string> {
  await page.getByLabel("Method").selectOption("GET");
  await page.getByLabel("Path").fill(path);
  await page.getByRole("button", { name: "Send request" }).click();
  await page.getByRole("heading", { name: "Response" }).waitFor();
  assert.equal(await page.locator(".status").innerText(), "200");
  return await page.getByLabel("Response body").innerText();
}

Deno.test({
  name: "console e2e - the whole flow from first-run setup to a renamed app, in headless Chromium",
  ignore: !hasChromium && !Deno.env.get("CI"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const started = Date.now();
    const port = freePort();
    await withTestPlatform(async (tp) => {
      const server = Deno.serve(
        { hostname: "127.0.0.1", port, onListen: () => {} },
        (req, info) => tp.p.console.fetch(req, info),
      );
      // The URL as the server logged it at start (its host is `localhost`).
      const logged = tp.lines.join("\n").match(
        /http:\/\/localhost:\d+\/admin\/setup\?token=[\w-]+/,
      );
      assert.ok(logged, "no setup URL in the log");
      const setupUrl = logged[0];
      const origin = new URL(setupUrl).origin;
      assert.equal(new URL(setupUrl).port, String(port));
      let browser: Browser | undefined;
      const errors: string[] = [];
      try {
        browser = await launchChromium();
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        await context.addInitScript({
          content: `document.addEventListener("securitypolicyviolation", (e) =>
            console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI));`,
        });
        const page = await context.newPage();
        page.setDefaultTimeout(15_000);
        page.on("console", (m) => {
          if (m.type() === "error" && m.text().startsWith("CSP")) errors.push(m.text());
        });
        page.on("pageerror", (e) => errors.push(String(e)));
        const at = (path: string) => assert.equal(new URL(page.url()).pathname, path);
        const signIn = async (who: { email: string; password: string }) => {
          await page.waitForURL(/\/admin\/login/);
          await page.getByLabel("Email").fill(who.email);
          await page.getByLabel("Password").fill(who.password);
          await page.getByRole("button", { name: "Sign in" }).click();
          await page.waitForURL(`${origin}/admin`);
        };
        const signOut = async () => {
          await page.getByRole("button", { name: "Sign out" }).click();
          await page.waitForURL(`${origin}/admin/login`);
        };
        let scriptUrl = "";
        // One connected flow: a failed step ends it (later steps would only fail after it).
        const step = async (name: string, fn: () => Promise<void>) => {
          if (!await t.step(name, fn)) throw new Error(`step failed: ${name}`);
        };

        await step("set up the first owner from the one-time URL", async () => {
          await page.goto(setupUrl);
          await page.getByRole("heading", { name: "Set up PiCloud" }).waitFor();
          await shoot(page, "01-setup");
          await page.getByLabel("Email").fill(OWNER.email);
          await page.getByLabel("Name (optional)").fill("Pi Owner");
          await page.getByLabel("Password").fill(OWNER.password);
          await page.getByRole("button", { name: "Create owner and sign in" }).click();
          await page.waitForURL(`${origin}/admin`);
          // The URL works once.
          assert.ok(tp.lines.some((l) => l.includes("setup: created the first owner")));
        });

        await step("sign out and sign in", async () => {
          await signOut();
          await shoot(page, "02-login");
          await signIn(OWNER);
          await page.getByRole("button", { name: "Sign out" }).waitFor();
        });

        await step("create an app", async () => {
          await shoot(page, "03-apps");
          await page.getByLabel("Slug").fill("shop");
          await page.getByLabel("Name").fill("Shop");
          await page.getByRole("button", { name: "Create app" }).click();
          await page.waitForURL(`${origin}/admin/apps/shop`);
          await page.getByRole("heading", { name: /Shop/ }).first().waitFor();
          await shoot(page, "04-app-overview");
        });

        await step("claim a domain", async () => {
          await page.getByRole("link", { name: "Domains" }).click();
          await page.getByLabel("Domain").fill("shop.example.com");
          await page.getByRole("button", { name: "Claim" }).click();
          await page.getByRole("cell", { name: "shop.example.com" }).waitFor();
          await shoot(page, "05-domains");
        });

        await step("create a script", async () => {
          await page.getByRole("link", { name: "Scripts" }).click();
          await page.getByRole("heading", { name: "New script" }).waitFor();
          await page.getByLabel("Name", { exact: true }).fill("greeter");
          await page.getByLabel("Description (optional)").fill("Says hello");
          await setSource(page, FIRST);
          await shoot(page, "06-scripts-new");
          await page.getByRole("button", { name: "Create script" }).click();
          await page.waitForURL(/\/admin\/apps\/shop\/scripts\/[0-9a-f-]{36}$/);
          scriptUrl = page.url();
          await page.locator(".island-editor .cm-content").waitFor();
          // The island replaces the textarea: one editor on the page, not two.
          assert.equal(await page.locator("#deploy-source").isHidden(), true);
          await shoot(page, "07-script");
        });

        await step("a broken deploy shows the diagnostic in the editor and below it", async () => {
          await setSource(page, BROKEN);
          await page.getByRole("button", { name: "Deploy new version" }).click();
          await page.getByText("The script cannot run.").waitFor();
          // The server-rendered excerpt marks line 5 ...
          await page.locator("tr.marked").first().waitFor();
          assert.equal(await page.locator("tr.marked th").first().textContent(), "5");
          // ... and the editor island marks it too, in the gutter and in the text.
          await page.locator(".cm-lint-marker-error").first().waitFor();
          await page.locator(".cm-lintRange-error").first().waitFor();
          await shoot(page, "08-deploy-broken");
        });

        await step("fix and deploy", async () => {
          await setSource(page, FIXED);
          await page.getByRole("button", { name: "Deploy new version" }).click();
          await page.getByText("Version 2 deployed").waitFor();
          assert.equal(await page.locator("tr.marked").count(), 0);
          await shoot(page, "09-deployed");
        });

        await step("route it in the Routes tab", async () => {
          await page.goto(`${origin}/admin/apps/shop/routes`);
          await page.getByLabel("Script").selectOption({ label: "greeter" });
          await page.getByLabel("Path").fill("/hello/*");
          await page.getByLabel("Host (optional)").fill("shop.example.com");
          await page.getByRole("button", { name: "Add route" }).click();
          await page.getByRole("cell", { name: "/hello/*" }).waitFor();
          await page.getByLabel("URL").fill("http://shop.example.com/hello/ann");
          await page.getByRole("button", { name: "Preview" }).click();
          await page.getByLabel("Preview result").getByText("greeter").waitFor();
          await shoot(page, "10-routes");
          // The route serves on the app's domain (the tenant side, in process).
          const res = await tp.p.tenant.request("http://shop.example.com/hello/ann?name=ann");
          assert.deepEqual(await res.json(), { hello: "ann", tag: "fixed" });
        });

        // The Logs tab in a second window, its live tail running while Try it calls the script.
        const tail = await context.newPage();
        tail.setDefaultTimeout(15_000);
        tail.on("pageerror", (e) => errors.push(String(e)));
        tail.on("console", (m) => {
          if (m.type() === "error" && m.text().startsWith("CSP")) errors.push(m.text());
        });

        await step("the Logs tab's live tail is open", async () => {
          await tail.goto(`${origin}/admin/apps/shop`);
          await tail.getByRole("navigation", { name: "App sections" })
            .getByRole("link", { name: "Logs" }).click();
          await tail.getByRole("button", { name: "Live tail" }).click();
          await tail.getByRole("status").getByText("live").waitFor();
        });

        await step("call it through Try it", async () => {
          await page.goto(scriptUrl);
          await page.getByRole("link", { name: "Try it" }).click();
          await page.getByRole("heading", { name: "Request" }).waitFor();
          await shoot(page, "11-try-form");
          const body = await tryIt(page, "/hello/tried?name=flow");
          assert.deepEqual(JSON.parse(body), { hello: "flow", tag: "fixed" });
          assert.match(
            await page.getByLabel("Console output").innerText(),
            // A direct run: the script sees the path typed, as behind a `/*` route.
            /\[log\] greeting \/hello\/tried\n/,
          );
          await shoot(page, "12-try-result");
        });

        await step("the call shows in the live tail", async () => {
          const row = tail.locator(".tail-rows tbody tr", { hasText: "/hello/tried" }).first();
          await row.waitFor();
          const cells = await row.locator("td").allTextContents();
          assert.deepEqual(cells.slice(1, 3), ["200", "GET"]);
          assert.equal(cells[3], "/hello/tried?name=flow");
          assert.equal(cells[5], "ok");
          await shoot(tail, "13-logs-tail");
          await tail.close();
        });

        await step("roll back to version 1: the Try it answer changes", async () => {
          await page.goto(`${scriptUrl}/versions`);
          await page.getByRole("link", { name: "Activate…" }).first().waitFor();
          await shoot(page, "14-versions");
          await page.goto(`${scriptUrl}/versions/1/activate`);
          await page.getByRole("button", { name: "Activate version 1" }).waitFor();
          await shoot(page, "15-activate-confirm");
          await page.getByRole("button", { name: "Activate version 1" }).click();
          await page.getByText("Version 1 is now active").waitFor();
          await page.goto(`${scriptUrl}/try`);
          const body = await tryIt(page, "/hello/again?name=flow");
          assert.deepEqual(JSON.parse(body), { hello: "flow", tag: "first" });
        });

        await step("add a member (a new user, then the app's Members tab)", async () => {
          await page.goto(`${origin}/admin/users`);
          await page.getByLabel("Email").fill(MEMBER.email);
          await page.getByLabel("Name (optional)").fill("Vi Ewer");
          await page.getByLabel("Password").fill(MEMBER.password);
          await page.getByLabel("Instance role").selectOption("member");
          await page.getByRole("button", { name: "Create user" }).click();
          await page.getByRole("cell", { name: MEMBER.email }).waitFor();
          await shoot(page, "16-users");
          await page.goto(`${origin}/admin/apps/shop/members`);
          await page.getByLabel("Email").fill(MEMBER.email);
          await page.getByLabel("Role", { exact: true }).selectOption("viewer");
          await page.getByRole("button", { name: "Add member" }).click();
          await page.getByRole("cell", { name: MEMBER.email, exact: true }).waitFor();
          await shoot(page, "17-members");
        });

        await step("the member signs in and sees the restricted view", async () => {
          await signOut();
          await signIn(MEMBER);
          await page.getByRole("link", { name: "shop" }).waitFor();
          assert.equal(await page.getByRole("link", { name: "default" }).count(), 0);
          assert.equal(await page.getByRole("button", { name: "Create app" }).count(), 0);
          assert.equal(await page.getByRole("link", { name: "Users" }).count(), 0);
          await shoot(page, "18-member-apps");
          await page.goto(scriptUrl);
          await page.getByRole("heading", { name: "Code", exact: true }).waitFor();
          assert.equal(await page.getByRole("button", { name: "Deploy new version" }).count(), 0);
          assert.equal(await page.locator(".island-editor").count(), 0);
          await shoot(page, "19-member-script");
          await page.goto(`${scriptUrl}/try`);
          await page.getByText("running code needs app editor").waitFor();
          assert.equal(await page.getByRole("button", { name: "Send request" }).count(), 0);
          await page.goto(`${origin}/admin/apps/shop/members`);
          await page.getByRole("cell", { name: MEMBER.email, exact: true }).waitFor();
          assert.equal(await page.getByRole("button", { name: "Add member" }).count(), 0);
          await shoot(page, "20-member-members");
          const other = await page.goto(`${origin}/admin/apps/default`);
          assert.equal(other?.status(), 404);
        });

        await step("the owner renames the app; the old URL redirects", async () => {
          await page.goto(`${origin}/admin`);
          await signOut();
          await signIn(OWNER);
          await page.goto(`${origin}/admin/apps/shop/settings`);
          await page.getByLabel("New slug").fill("store");
          await page.getByRole("button", { name: "Check" }).click();
          await page.getByText("store is available").waitFor();
          await shoot(page, "21-rename-check");
          await page.getByRole("button", { name: "Rename to store" }).click();
          await page.waitForURL(`${origin}/admin/apps/store/settings`);
          await page.goto(`${origin}/admin/apps/shop/routes`);
          at("/admin/apps/store/routes");
          await page.getByRole("cell", { name: "/hello/*" }).waitFor();
          await shoot(page, "22-old-url-followed");
        });
        assert.deepEqual(errors, []);
      } finally {
        await browser?.close();
        await server.shutdown();
      }
    }, {
      PICLOUD_BOOTSTRAP_EMAIL: "",
      PICLOUD_BOOTSTRAP_PASSWORD: "",
      PICLOUD_CONSOLE_PORT: `${port}`,
    });
    const seconds = (Date.now() - started) / 1000;
    console.log(`flow e2e: ${seconds.toFixed(1)} s`);
    assert.ok(seconds < 90, `the flow took ${seconds} s`);
  },
});
