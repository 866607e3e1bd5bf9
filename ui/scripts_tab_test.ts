/**
 * @module In-process tests of the Scripts tab and the script page: create, deploy with a compile
 * error shown at its line, the diff of two versions, activate, env with write-only secrets,
 * policy, and a viewer's read-only view.
 */
import assert from "node:assert/strict";
import { generateSecretKey } from "../common/secrets.ts";
import { OWNER, withTestPlatform } from "../testing/platform.ts";
import { browser } from "./browser_testing.ts";
import { excerptsFor, lineDiff } from "./source_view.tsx";

const LIST = "/admin/apps/default/scripts";
const V1 = 'export default {\n  fetch() {\n    return new Response("one");\n  },\n};\n';
const V2 = 'export default {\n  fetch() {\n    return new Response("two");\n  },\n};\n';
const BROKEN = 'export default {\n  fetch() {\n    return new Response("x" +);\n  },\n};\n';
const SECRET_VALUE = "s3cr3t-value-never-shown";

Deno.test("excerptsFor() merges nearby lines and clamps to the source", () => {
  const e = excerptsFor(20, [3, 5, 15, 99]);
  assert.deepEqual(e.map((x) => [x.first, x.last, [...x.marked]]), [[1, 7, [3, 5]], [13, 17, [
    15,
  ]]]);
});

Deno.test("lineDiff() numbers removed, added and context lines", () => {
  const [h] = lineDiff("a\nb\nc\n", "a\nB\nc\nd\n");
  assert.deepEqual(h.lines.map((l) => [l.kind, l.oldLine, l.newLine, l.text]), [
    ["context", 1, 1, "a"],
    ["removed", 2, null, "b"],
    ["added", null, 2, "B"],
    ["context", 3, 3, "c"],
    ["added", null, 4, "d"],
  ]);
});

Deno.test("console - scripts tab: create, deploy, diff, activate, env, policy", async (t) => {
  await withTestPlatform(async (tp) => {
    const b = browser(tp);
    await b.signIn(OWNER.email, OWNER.password);
    let base = "";
    const pages: string[] = [];
    const get = async (path: string) => {
      const r = await b.get(path);
      pages.push(r.html);
      return r;
    };

    await t.step("the list shows the seeded script and the new script form", async () => {
      const r = await get(LIST);
      assert.equal(r.status, 200);
      assert.match(r.html, /aria-current="page">Scripts</);
      assert.match(r.html, /New script/);
    });

    await t.step("create → 303 to the script page", async () => {
      const r = await b.post(LIST, { name: "greeter", description: "", source: V1 });
      assert.equal(r.status, 303, r.html);
      assert.match(r.location!, /^\/admin\/apps\/default\/scripts\/[0-9a-f-]{36}$/);
      base = r.location!;
      const page = await get(base);
      assert.equal(page.status, 200);
      assert.match(page.html, /<span aria-current="page">greeter<\/span>/);
      assert.match(page.html, /data-island="editor"/);
      assert.match(page.html, /new Response\(&quot;one&quot;\)/);
      assert.match((await get(LIST)).html, />greeter<\/a>/);
    });

    await t.step("create: a taken name and a bad name are field errors", async () => {
      const taken = await b.post(LIST, { name: "greeter", source: "" });
      assert.equal(taken.status, 409);
      assert.match(taken.html, /id="new-name-error"[^>]*>A script named greeter already exists/);
      const bad = await b.post(LIST, { name: "no spaces", source: "" });
      assert.equal(bad.status, 400);
      assert.match(bad.html, /id="new-name-error"/);
    });

    await t.step("create without a source starts from the starter script", async () => {
      const r = await b.post(LIST, { name: "empty", source: "" });
      assert.equal(r.status, 303, r.html);
      assert.match((await get(r.location!)).html, /Hello from empty/);
    });

    await t.step("compile_error re-renders with the diagnostic at its line", async () => {
      const r = await b.post(`${base}/deploy`, { source: BROKEN });
      assert.equal(r.status, 422, r.html);
      assert.match(r.html, /<a href="#src-L3" class="mono">3:\d+<\/a>/);
      assert.match(r.html, /<tr id="src-L3" class="marked"><th scope="row" class="ln">3<\/th>/);
      assert.match(r.html, /data-diagnostics="\[\{&quot;message&quot;:[^"]*&quot;line&quot;:3/);
      // The posted source is kept in the form.
      assert.match(r.html, /new Response\(&quot;x&quot; \+\);/);
    });

    await t.step("deploy → 303 with the flash, the new version is active", async () => {
      const r = await b.post(`${base}/deploy`, { source: V2 });
      assert.equal(r.status, 303, r.html);
      assert.equal(r.location, `${base}?deployed=2`);
      const page = await get(r.location!);
      assert.match(page.html, /role="status">Version 2 deployed</);
      assert.match(page.html, /new Response\(&quot;two&quot;\)/);
    });

    await t.step("the diff of two versions shows a removed and an added line", async () => {
      const r = await get(`${base}/versions?from=1&to=2`);
      assert.equal(r.status, 200);
      assert.match(r.html, /<tr class="removed"><th scope="row" class="ln">3<\/th>/);
      assert.match(r.html, /<code> {4}return new Response\(&quot;one&quot;\);<\/code>/);
      assert.match(r.html, /<tr class="added"><th scope="row" class="ln"><\/th>/);
      assert.match(r.html, /<code> {4}return new Response\(&quot;two&quot;\);<\/code>/);
    });

    await t.step("activate asks first, then → 303 and the badge moves", async () => {
      const active = (html: string) =>
        /<td class="mono">v(\d+)<\/td>(?:(?!<\/tr>).)*badge active/s.exec(html)?.[1];
      assert.equal(active((await get(`${base}/versions`)).html), "2");
      const confirm = await get(`${base}/versions/1/activate`);
      assert.equal(confirm.status, 200);
      assert.match(confirm.html, /Make version 1 the active one\?/);
      const r = await b.post(`${base}/versions/1/activate`, {});
      assert.equal(r.status, 303);
      const after = await get(r.location!);
      assert.match(after.html, /Version 1 is now active/);
      assert.equal(active(after.html), "1");
      assert.equal((await b.post(`${base}/versions/9/activate`, {})).status, 404);
    });

    await t.step("env: a var is shown and edited, a secret never rendered back", async () => {
      const env = `${base}/env`;
      const v = await b.post(env, { kind: "vars", name: "API_URL", value: "https://x.test" });
      assert.equal(v.status, 303, v.html);
      assert.match((await get(v.location!)).html, /value="https:\/\/x.test"/);
      const bad = await b.post(env, { kind: "vars", name: "lower", value: "x" });
      assert.equal(bad.status, 400);
      assert.match(bad.html, /id="var-name-error"/);
      const s = await b.post(env, { kind: "secrets", name: "TOKEN", value: SECRET_VALUE });
      assert.equal(s.status, 303, s.html);
      const page = await get(s.location!);
      assert.match(page.html, /Secret TOKEN set/);
      assert.match(page.html, /<span class="mono">TOKEN<\/span>/);
      const badSecret = await b.post(env, {
        kind: "secrets",
        name: "bad name",
        value: SECRET_VALUE,
      });
      assert.equal(badSecret.status, 400);
      pages.push(badSecret.html);
      const confirm = await get(`${env}/remove?kind=vars&name=API_URL`);
      assert.match(confirm.html, /Remove the variable API_URL\?/);
      const rm = await b.post(`${env}/remove`, { kind: "vars", name: "API_URL" });
      assert.equal(rm.status, 303);
      assert.doesNotMatch((await get(env)).html, /x\.test/);
    });

    await t.step("policy: saved, and a limit above its cap is a field error", async () => {
      const policy = `${base}/policy`;
      const ok = await b.post(policy, { timeoutMs: "1000", allowedHosts: "api.example.com" });
      assert.equal(ok.status, 303, ok.html);
      const page = await get(ok.location!);
      assert.match(page.html, /Policy saved/);
      assert.match(page.html, /name="timeoutMs"[^>]*value="1000"/);
      assert.match(page.html, /api\.example\.com/);
      const over = await b.post(policy, { timeoutMs: "999999999" });
      assert.equal(over.status, 400);
      assert.match(over.html, /id="policy-timeoutMs-error"[^>]*>timeoutMs exceeds the platform/);
      const host = await b.post(policy, { allowedHosts: "https://x.test/path" });
      assert.equal(host.status, 400);
      assert.match(host.html, /Use host or host:port/);
    });

    await t.step("a secret's value appears in no page", () => {
      for (const html of pages) assert.ok(!html.includes(SECRET_VALUE));
    });

    await t.step("delete asks first, then → 303 to the list", async () => {
      assert.match((await get(base)).html, /href="[^"]+\/delete">Delete this script…/);
      const confirm = await get(`${base}/delete`);
      assert.match(confirm.html, /Delete the script greeter\?/);
      const r = await b.post(`${base}/delete`, {});
      assert.equal(r.status, 303);
      assert.equal(r.location, LIST);
      assert.equal((await b.get(base)).status, 404);
    });
  }, { PICLOUD_SECRET_KEY: generateSecretKey() });
});

Deno.test("console - scripts tab: a viewer sees no forms and a forged post is refused", async () => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    await tp.createUser(token, { email: "v@example.com" });
    const g = await tp.call("POST", "/api/v1/admin/apps/default/members", {
      token,
      body: { email: "v@example.com", role: "viewer" },
    });
    assert.equal(g.status, 201);
    const [{ id }] = await tp.p.db.sql<{ id: string }[]>`
      select s.id from scripts s join apps a on a.id = s.app_id where a.slug = 'default'`;
    const b = browser(tp);
    await b.signIn("v@example.com", "member-password-1");
    const base = `${LIST}/${id}`;
    for (const path of [LIST, base, `${base}/versions`, `${base}/env`, `${base}/policy`]) {
      const r = await b.get(path);
      assert.equal(r.status, 200, path);
      const main = r.html.slice(r.html.indexOf("<main>"));
      assert.doesNotMatch(main, /<form/, path);
    }
    const forged = [
      [LIST, { name: "x", source: "" }],
      [`${base}/deploy`, { source: V1 }],
      [`${base}/versions/1/activate`, {}],
      [`${base}/env`, { kind: "vars", name: "A", value: "b" }],
      [`${base}/env/remove`, { kind: "vars", name: "A" }],
      [`${base}/policy`, { timeoutMs: "100" }],
      [`${base}/delete`, {}],
    ] as const;
    for (const [path, form] of forged) {
      assert.equal((await b.post(path, form)).status, 403, path);
    }
  });
});
