/**
 * @module The Scripts tab and the script page end to end in a real headless Chromium (no
 * JavaScript of ours runs): create, a compile error, deploy, diff, rollback, env and policy, each
 * saved at 1280 px and 375 px under `.picloud/screenshots/scripts-*.png`.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { generateSecretKey } from "../common/secrets.ts";
import { OWNER, withTestPlatform } from "../testing/platform.ts";
import { hasChromium, launchChromium, shooter } from "./chromium_testing.ts";

const FIRST = `export default {
  fetch(req) {
    const url = new URL(req.url);
    return new Response("Hello " + url.pathname);
  },
};
`;
const SECOND = `export default {
  fetch(req) {
    const url = new URL(req.url);
    const who = url.searchParams.get("name") ?? "world";
    return Response.json({ hello: who, path: url.pathname });
  },
};
`;
const BROKEN = `export default {
  fetch(req) {
    const url = new URL(req.url);
    return new Response("Hello " + );
  },
};
`;
const SECRET_VALUE = "e2e-secret-value-never-shown";

const shoot = shooter("scripts-");

Deno.test({
  name: "console e2e - scripts tab and script page in headless Chromium",
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
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        page.setDefaultTimeout(15_000);
        await page.goto(`${origin}/admin/login`);
        await page.getByLabel("Email").fill(OWNER.email);
        await page.getByLabel("Password").fill(OWNER.password);
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.waitForURL(`${origin}/admin`);
        let scriptUrl = "";

        await t.step("the Scripts tab lists the scripts; a new one opens its page", async () => {
          await page.goto(`${origin}/admin/apps/default/scripts`);
          await page.getByRole("heading", { name: "New script" }).waitFor();
          await page.getByLabel("Name", { exact: true }).fill("greeter");
          await page.getByLabel("Description (optional)").fill("Says hello");
          await setSource(page, FIRST);
          await page.getByRole("button", { name: "Create script" }).click();
          await page.waitForURL(/\/scripts\/[0-9a-f-]{36}$/);
          scriptUrl = page.url();
          await page.goto(`${origin}/admin/apps/default/scripts`);
          await page.getByRole("link", { name: "greeter" }).waitFor();
          await shoot(page, "01-list");
        });

        await t.step("the script page shows the active source in the deploy form", async () => {
          await page.goto(scriptUrl);
          // The editor island replaces the textarea and keeps it in step.
          await page.locator(".island-editor .cm-content").waitFor();
          assert.match(
            await page.locator("#deploy-source").inputValue(),
            /Hello " \+ url\.pathname/,
          );
          await shoot(page, "02-script");
        });

        await t.step("a compile error is shown at its line", async () => {
          await setSource(page, BROKEN);
          await page.getByRole("button", { name: "Deploy new version" }).click();
          await page.getByText("The script cannot run.").waitFor();
          await page.locator("tr.marked").first().waitFor();
          assert.equal(await page.locator("tr.marked th").first().textContent(), "4");
          await shoot(page, "03-compile-error");
        });

        await t.step("a good source deploys with a flash", async () => {
          await setSource(page, SECOND);
          await page.getByRole("button", { name: "Deploy new version" }).click();
          await page.getByText("Version 2 deployed").waitFor();
        });

        await t.step("versions: the diff of two versions, then a rollback", async () => {
          await page.getByRole("link", { name: "Versions" }).click();
          await page.getByLabel("From", { exact: true }).selectOption("1");
          await page.getByLabel("To", { exact: true }).selectOption("2");
          await page.getByRole("button", { name: "Compare" }).click();
          await page.waitForURL(/from=1&to=2/);
          await page.locator("tr.added").first().waitFor();
          await page.locator("tr.removed").first().waitFor();
          await shoot(page, "04-diff");
          await page.getByRole("link", { name: "Activate…" }).click();
          await page.getByRole("button", { name: "Activate version 1" }).click();
          await page.getByText("Version 1 is now active").waitFor();
        });

        await t.step("environment: a variable and a write-only secret", async () => {
          await page.getByRole("link", { name: "Environment" }).click();
          await page.locator("#var-name").fill("GREETING");
          await page.locator("#var-value").fill("Hello there");
          await page.getByRole("button", { name: "Save variable" }).click();
          await page.getByText("Variable GREETING saved").waitFor();
          await page.locator("#secret-name").fill("API_TOKEN");
          await page.locator("#secret-value").fill(SECRET_VALUE);
          await page.getByRole("button", { name: "Set secret" }).click();
          await page.getByText("Secret API_TOKEN set").waitFor();
          assert.ok(!(await page.content()).includes(SECRET_VALUE));
          await shoot(page, "05-env");
        });

        await t.step("policy: a limit above its cap is an error next to it", async () => {
          await page.getByRole("link", { name: "Policy & limits" }).click();
          // Past the browser's own max check, to show the server's answer.
          await page.locator('form[action$="/policy"]').evaluate((f) =>
            f.setAttribute("novalidate", "")
          );
          await page.getByLabel("Timeout").fill("999999999");
          await page.getByLabel("Allowed outbound hosts").fill("api.example.com\nexample.org:8443");
          await page.getByRole("button", { name: "Save policy" }).click();
          await page.getByText(/timeoutMs exceeds the platform cap/).waitFor();
          await shoot(page, "06-policy-error");
          await page.getByLabel("Timeout").fill("2000");
          await page.getByRole("button", { name: "Save policy" }).click();
          await page.getByText("Policy saved").waitFor();
          await shoot(page, "07-policy");
        });
      } finally {
        await browser.close();
        await server.shutdown();
      }
    }, { PICLOUD_SECRET_KEY: generateSecretKey() });
  },
});

/** Replaces the editor's whole text, as a person pasting a new source would. */
async function setSource(page: Page, text: string): Promise<void> {
  await page.locator(".island-editor .cm-content").click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
}
