/**
 * @module The console end to end in a real headless Chromium (the system's `/usr/bin/chromium`,
 * driven by playwright-core) against a platform listening on a free loopback port. Each page is
 * saved at 1280 px and 375 px under `.picloud/screenshots/`.
 */
import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../testing/platform.ts";
import { hasChromium, launchChromium, shooter } from "./chromium_testing.ts";

const shoot = shooter();

Deno.test({
  name: "console e2e - owner and member flows in headless Chromium",
  // CI installs Chromium; elsewhere the test runs only where it is installed.
  ignore: !hasChromium && !Deno.env.get("CI"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await withTestPlatform(async (tp) => {
      // Another app with a claim, and a future member, made through the API.
      const token = await tp.login(OWNER.email, OWNER.password);
      await tp.call("POST", "/api/v1/admin/apps", {
        token,
        body: { slug: "other", name: "Other" },
      });
      const claim = await tp.call("POST", "/api/v1/admin/apps/other/domains", {
        token,
        body: { pattern: "taken.example.com" },
      });
      assert.equal(claim.status, 201);
      await tp.createUser(token, { email: "member@example.com", password: "member-password-1" });

      const server = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen: () => {} },
        (req, info) => tp.p.console.fetch(req, info),
      );
      const origin = `http://127.0.0.1:${server.addr.port}`;
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({
          viewport: { width: 1280, height: 800 },
          permissions: ["clipboard-read", "clipboard-write"],
        });
        page.setDefaultTimeout(15_000);
        const at = (path: string) => assert.equal(new URL(page.url()).pathname, path);

        await t.step("setup page renders its form", async () => {
          await page.goto(`${origin}/admin/setup?token=example`);
          await page.getByLabel("Email").waitFor();
          await shoot(page, "01-setup");
        });

        await t.step("an unauthenticated page leads to sign-in and back", async () => {
          await page.goto(`${origin}/admin/apps/other/domains`);
          at("/admin/login");
          await page.getByLabel("Email").fill(OWNER.email);
          await page.getByLabel("Password").fill("wrong-password");
          await page.getByRole("button", { name: "Sign in" }).click();
          await page.getByText("The email or password is not correct").waitFor();
          await shoot(page, "02-login-error");
          await page.getByLabel("Password").fill(OWNER.password);
          await page.getByRole("button", { name: "Sign in" }).click();
          await page.waitForURL(`${origin}/admin/apps/other/domains`);
        });

        await t.step("create an app from the apps list", async () => {
          await page.goto(`${origin}/admin`);
          await shoot(page, "03-apps");
          await page.getByLabel("Slug").fill("blog");
          await page.getByLabel("Name").fill("Blog");
          await page.getByRole("button", { name: "Create app" }).click();
          await page.waitForURL(`${origin}/admin/apps/blog`);
          await page.getByRole("heading", { name: /Blog/ }).first().waitFor();
          await shoot(page, "04-app-settings");
        });

        await t.step("claim a domain; another app's domain is domain_taken", async () => {
          await page.getByRole("link", { name: "Domains" }).click();
          await page.getByLabel("Domain").fill("blog.example.com");
          await page.getByRole("button", { name: "Claim" }).click();
          await page.getByRole("cell", { name: "blog.example.com" }).waitFor();
          await page.getByLabel("Domain").fill("taken.example.com");
          await page.getByRole("button", { name: "Claim" }).click();
          await page.getByText("The domain taken.example.com is already claimed").waitFor();
          await shoot(page, "05-domains-taken");
        });

        await t.step("add a member", async () => {
          await page.getByRole("link", { name: "Members" }).click();
          await page.getByLabel("Email").fill("member@example.com");
          await page.getByLabel("Role", { exact: true }).selectOption("editor");
          await page.getByRole("button", { name: "Add member" }).click();
          await page.getByRole("cell", { name: "member@example.com", exact: true }).waitFor();
          await shoot(page, "06-members");
        });

        await t.step("rename the app (check, confirm) and follow the old URL", async () => {
          await page.getByRole("link", { name: "Settings" }).click();
          await page.getByLabel("New slug").fill("journal");
          await page.getByRole("button", { name: "Check" }).click();
          await page.getByText("journal is available").waitFor();
          await shoot(page, "07-rename-check");
          await page.getByRole("button", { name: "Rename to journal" }).click();
          await page.waitForURL(`${origin}/admin/apps/journal/settings`);
          await page.goto(`${origin}/admin/apps/blog/domains`);
          at("/admin/apps/journal/domains");
          await page.getByRole("cell", { name: "blog.example.com" }).waitFor();
        });

        await t.step("delete asks for confirmation; an unknown app is a 404 page", async () => {
          await page.goto(`${origin}/admin/apps/journal/delete`);
          await page.getByRole("button", { name: "Delete app" }).waitFor();
          await shoot(page, "08-delete-confirm");
          const res = await page.goto(`${origin}/admin/apps/nope`);
          assert.equal(res?.status(), 404);
          await shoot(page, "09-not-found");
        });

        await t.step("dark mode follows the system", async () => {
          await page.emulateMedia({ colorScheme: "dark" });
          await page.goto(`${origin}/admin`);
          await shoot(page, "10-apps-dark");
          await page.emulateMedia({ colorScheme: "light" });
        });

        await t.step("sign out, sign in as the member: the restricted view", async () => {
          await page.getByRole("button", { name: "Sign out" }).click();
          await page.waitForURL(`${origin}/admin/login`);
          await page.getByLabel("Email").fill("member@example.com");
          await page.getByLabel("Password").fill("member-password-1");
          await page.getByRole("button", { name: "Sign in" }).click();
          await page.waitForURL(`${origin}/admin`);
          await page.getByRole("link", { name: "journal" }).waitFor();
          assert.equal(await page.getByRole("link", { name: "other" }).count(), 0);
          assert.equal(await page.getByText("New app").count(), 0);
          await shoot(page, "11-member-apps");
          await page.getByRole("link", { name: "journal" }).click();
          await page.getByRole("link", { name: "Members" }).click();
          await page.getByRole("cell", { name: "member@example.com", exact: true }).waitFor();
          assert.equal(await page.getByText("Add a member").count(), 0);
          assert.equal(await page.getByRole("button", { name: "Change" }).count(), 0);
          await shoot(page, "12-member-members");
          const other = await page.goto(`${origin}/admin/apps/other`);
          assert.equal(other?.status(), 404);
        });
      } finally {
        await browser.close();
        await server.shutdown();
      }
    });
  },
});

Deno.test({
  name: "console e2e - routes, schedules, API keys, users and audit in headless Chromium",
  ignore: !hasChromium && !Deno.env.get("CI"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await withTestPlatform(async (tp) => {
      const server = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen: () => {} },
        (req, info) => tp.p.console.fetch(req, info),
      );
      const origin = `http://127.0.0.1:${server.addr.port}`;
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({
          viewport: { width: 1280, height: 800 },
          permissions: ["clipboard-read", "clipboard-write"],
        });
        page.setDefaultTimeout(15_000);
        await page.goto(`${origin}/admin/login`);
        await page.getByLabel("Email").fill(OWNER.email);
        await page.getByLabel("Password").fill(OWNER.password);
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.waitForURL(`${origin}/admin`);

        await t.step("routes: add, a conflict next to the path, preview, remove", async () => {
          await page.goto(`${origin}/admin/apps/default`);
          await page.getByRole("link", { name: "Routes" }).click();
          await page.getByLabel("Path").fill("/hello/:name");
          await page.getByRole("button", { name: "Add route" }).click();
          await page.getByRole("cell", { name: "/hello/:name" }).waitFor();
          await page.getByLabel("Path").fill("/hello/:who");
          await page.getByRole("button", { name: "Add route" }).click();
          await page.getByText("An equivalent route already exists").waitFor();
          await shoot(page, "13-routes-conflict");
          await page.getByLabel("URL").fill("http://localhost/hello/ann");
          await page.getByRole("button", { name: "Preview" }).click();
          await page.getByText("name=ann").waitFor();
          await shoot(page, "14-routes-preview");
          await page.getByLabel("URL").fill("http://localhost/nowhere/a/b");
          await page.getByRole("button", { name: "Preview" }).click();
          await page.getByText("No route for GET /nowhere/a/b").waitFor();
          await page.getByRole("row", { name: /\/hello\/:name/ }).getByRole("link").click();
          await page.getByRole("button", { name: "Remove route" }).waitFor();
          await shoot(page, "15-route-remove-confirm");
          await page.getByRole("button", { name: "Remove route" }).click();
          await page.waitForURL(`${origin}/admin/apps/default/routes`);
          assert.equal(await page.getByRole("cell", { name: "/hello/:name" }).count(), 0);
        });

        await t.step("schedules: invalid cron, preview, add, disable", async () => {
          await page.getByRole("link", { name: "Schedules" }).click();
          await page.getByLabel("Cron").fill("every day");
          await page.getByRole("button", { name: "Add schedule" }).click();
          await page.getByText("Invalid cron expression").waitFor();
          await shoot(page, "16-schedules-invalid");
          await page.getByLabel("Cron").fill("0 7 * * 1-5");
          await page.getByLabel("Time zone").fill("Europe/Oslo");
          await page.getByRole("button", { name: "Preview" }).click();
          await page.getByText("Next runs (Europe/Oslo)").waitFor();
          await shoot(page, "17-schedules-preview");
          await page.getByRole("button", { name: "Add schedule" }).click();
          await page.getByRole("cell", { name: "0 7 * * 1-5" }).waitFor();
          await page.getByRole("button", { name: "Disable" }).click();
          await page.getByText("paused").waitFor();
          await page.getByRole("button", { name: "Enable" }).click();
          await page.getByRole("button", { name: "Disable" }).waitFor();
          await shoot(page, "18-schedules");
        });

        await t.step("API keys: create shows the key once; delete confirms", async () => {
          await page.getByRole("link", { name: "API keys" }).click();
          await page.waitForURL(`${origin}/admin/api-keys`);
          await page.getByLabel("Name").fill("ci deploy");
          await page.getByLabel("App").selectOption({ label: "default" });
          await page.getByLabel("Read-only").check();
          await page.getByRole("button", { name: "Create key" }).click();
          await page.getByText("it will not be shown again").waitFor();
          const key = await page.getByLabel("Your new key").inputValue();
          assert.ok(key.length > 20);
          // The copy island: the key on the clipboard, said in words.
          await page.getByRole("button", { name: "Copy" }).click();
          await page.getByText("Copied to the clipboard").waitFor();
          assert.equal(await page.evaluate("navigator.clipboard.readText()"), key);
          await shoot(page, "19-api-key-created");
          await page.getByRole("link", { name: "Back to your API keys" }).click();
          await page.getByRole("cell", { name: "ci deploy" }).waitFor();
          assert.equal(await page.getByText(key).count(), 0);
          await shoot(page, "20-api-keys");
          await page.getByRole("link", { name: "Delete…" }).click();
          await page.getByRole("button", { name: "Delete key" }).waitFor();
          await shoot(page, "21-api-key-delete-confirm");
          await page.getByRole("button", { name: "Delete key" }).click();
          await page.getByText("No API keys yet").waitFor();
        });

        await t.step(
          "users: create, email_taken, deactivate; audit: filter, before/after",
          async () => {
            await page.getByRole("link", { name: "Users" }).click();
            await page.waitForURL(`${origin}/admin/users`);
            await page.getByLabel("Email").fill("ann@example.com");
            await page.getByLabel("Name (optional)").fill("Ann");
            await page.getByLabel("Password").fill("ann-password-1");
            await page.getByLabel("Instance role").selectOption("member");
            await page.getByRole("button", { name: "Create user" }).click();
            await page.getByRole("cell", { name: "ann@example.com" }).waitFor();
            await page.getByLabel("Email").fill("ann@example.com");
            await page.getByLabel("Password").fill("ann-password-1");
            await page.getByRole("button", { name: "Create user" }).click();
            await page.getByText("A user with this email already exists").waitFor();
            await page.getByRole("row", { name: /ann@example\.com/ }).getByRole("link").click();
            await page.getByRole("button", { name: "Deactivate user" }).click();
            await page.getByText("deactivated").waitFor();
            await shoot(page, "22-users");
            await page.getByRole("link", { name: "Audit" }).click();
            await page.waitForURL(`${origin}/admin/audit`);
            await page.getByLabel("App").selectOption({ label: "default" });
            await page.getByRole("button", { name: "Filter" }).click();
            await page.waitForURL(/app=default/);
            await page.getByRole("cell", { name: "route.create" }).waitFor();
            await page.getByText("Before / after").first().click();
            await shoot(page, "23-audit");
          },
        );
      } finally {
        await browser.close();
        await server.shutdown();
      }
    });
  },
});
