/**
 * @module The "try it" page end to end in a real headless Chromium (the system's
 * `/usr/bin/chromium`, driven by playwright-core): an editor runs a script and reads the result,
 * a throwing script shows its error, a viewer sees the note. Screenshots at 1280 and 375 px go to
 * `.picloud/screenshots/try-*.png`.
 */
import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../testing/platform.ts";
import { hasChromium, launchChromium, shooter } from "./chromium_testing.ts";

const shoot = shooter("", { noOverflow: true });

const ECHO = `export default { async fetch(req) {
  console.log("got " + req.method + " " + new URL(req.url).pathname);
  console.warn("a warning line that is rather long, to see how the console output wraps on a phone");
  return Response.json({ method: req.method, body: await req.text(), who: req.headers.get("x-who") },
    { status: 201, headers: { "x-answer": "42" } });
} };`;

Deno.test({
  name: "try page e2e - run, read the result, a failure, a viewer, in headless Chromium",
  // CI installs Chromium; elsewhere the test runs only where it is installed.
  ignore: !hasChromium && !Deno.env.get("CI"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await withTestPlatform(async (tp) => {
      const token = await tp.login(OWNER.email, OWNER.password);
      const deploy = async (name: string, source: string) => {
        const r = await tp.call("POST", "/api/v1/admin/scripts", { token, body: { name, source } });
        assert.equal(r.status, 201);
        return r.body.id;
      };
      const echo = await deploy("echo", ECHO);
      const boom = await deploy(
        "boom",
        `export default { fetch() { throw new Error("kaput"); } };`,
      );
      await tp.createUser(token, { email: "v@example.com", password: "member-password-1" });
      await tp.call("POST", "/api/v1/admin/apps/default/members", {
        token,
        body: { email: "v@example.com", role: "viewer" },
      });

      const server = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen: () => {} },
        (req, info) => tp.p.console.fetch(req, info),
      );
      const origin = `http://127.0.0.1:${server.addr.port}`;
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        page.setDefaultTimeout(15_000);
        const signIn = async (email: string, password: string, next: string) => {
          await page.goto(`${origin}${next}`);
          await page.getByLabel("Email").fill(email);
          await page.getByLabel("Password").fill(password);
          await page.getByRole("button", { name: "Sign in" }).click();
          await page.waitForURL(`${origin}${next}`);
        };

        await t.step("an editor fills the form and sees the result", async () => {
          await signIn(OWNER.email, OWNER.password, `/admin/apps/default/scripts/${echo}/try`);
          await shoot(page, "try-01-form");
          await page.getByLabel("Method").selectOption("POST");
          await page.getByLabel("Path").fill("/orders/7?full=1");
          await page.getByLabel("Headers").fill("X-Who: console\nAccept: application/json");
          await page.getByLabel("Body").fill('{"qty":2}');
          await page.getByRole("button", { name: "Send request" }).click();
          await page.getByRole("heading", { name: "Response" }).waitFor();
          assert.equal(await page.locator(".status").innerText(), "201");
          assert.match(await page.getByLabel("Response body").innerText(), /"who":"console"/);
          assert.match(await page.getByLabel("Console output").innerText(), /\[log\] got POST/);
          await shoot(page, "try-02-result");
        });

        await t.step("a throwing script shows script_error", async () => {
          await page.goto(`${origin}/admin/apps/default/scripts/${boom}/try`);
          await page.getByRole("button", { name: "Send request" }).click();
          await page.getByRole("heading", { name: "Response" }).waitFor();
          assert.equal(await page.locator(".status").innerText(), "500");
          assert.match(await page.locator(".result").innerText(), /script_error/);
          await shoot(page, "try-03-error");
        });

        await t.step("a viewer sees the note instead of the form", async () => {
          await page.context().clearCookies();
          await signIn(
            "v@example.com",
            "member-password-1",
            `/admin/apps/default/scripts/${echo}/try`,
          );
          await page.getByText("running code needs app editor").waitFor();
          assert.equal(await page.getByRole("button", { name: "Send request" }).count(), 0);
          await shoot(page, "try-04-viewer");
        });
      } finally {
        await browser.close();
        await server.shutdown();
      }
    });
  },
});
