/** @module In-process tests of a script's "try it" page: a run's result, a viewer, CSRF, errors. */
import assert from "node:assert/strict";
import { OWNER, type TestPlatform, withTestPlatform } from "../testing/platform.ts";
import { browser } from "./browser_testing.ts";

/** Deploys `source` as a script of the default app and returns its id. */
async function deploy(tp: TestPlatform, token: string, name: string, source: string) {
  const r = await tp.call("POST", "/api/v1/admin/scripts", { token, body: { name, source } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}

const ECHO = `export default { async fetch(req) {
  const u = new URL(req.url);
  console.log("hit " + req.method + " " + u.pathname);
  console.warn("careful");
  return new Response("you sent " + await req.text() + " x=" + req.headers.get("x-test"), {
    status: 201,
    headers: { "x-answer": "42", "content-type": "text/plain" },
  });
} };`;

Deno.test("console - try page: a run shows status, headers, body, console lines", async (t) => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    const id = await deploy(tp, token, "echo", ECHO);
    const b = browser(tp);
    await b.signIn(OWNER.email, OWNER.password);
    const url = `/admin/apps/default/scripts/${id}/try`;
    await t.step("GET: the form in the script page's Try it section", async () => {
      const r = await b.get(url);
      assert.equal(r.status, 200);
      assert.match(r.html, /<a href="\/admin\/apps\/default">Default<\/a>/i);
      assert.match(r.html, /href="\/admin\/apps\/default\/scripts">Scripts<\/a>/);
      assert.match(
        r.html,
        new RegExp(`href="/admin/apps/default/scripts/${id}/try"[^>]*aria-current="page">Try it<`),
      );
      assert.match(r.html, /name="path"[^>]*value="\/"/);
      assert.match(r.html, /Send request/);
    });
    await t.step("POST: the result below the form", async () => {
      const r = await b.post(url, {
        method: "POST",
        path: "/items/7?q=1",
        headers: "X-Test: yes\n\nAccept: text/plain",
        body: "hello",
      });
      assert.equal(r.status, 200, r.html);
      assert.match(r.html, /class="status s2xx">201</);
      assert.match(r.html, /<td class="mono">x-answer<\/td><td class="mono">42<\/td>/);
      assert.match(r.html, /you sent hello x=yes/);
      assert.match(r.html, /\[log\] hit POST \/items\/7/);
      assert.match(r.html, /\[warn\] careful/);
      assert.match(r.html, /\d+ ms/);
      const rid = /<td class="mono">x-request-id<\/td><td class="mono">([0-9a-f-]{36})</.exec(
        r.html,
      )?.[1];
      assert.ok(rid, "the request id is a response header");
      assert.match(
        r.html,
        new RegExp(`href="/admin/apps/default/logs\\?script=${id}"[^>]*>${rid}`),
      );
      // The form keeps what was sent.
      assert.match(r.html, /<textarea[^>]*name="body"[^>]*>hello<\/textarea>/);
    });
    await t.step("bad header lines and a GET body are field errors", async () => {
      const r = await b.post(url, { method: "GET", path: "/", headers: "no colon", body: "" });
      assert.equal(r.status, 400);
      assert.match(r.html, /id="try-headers-error"[^>]*>Line 1: use Name: value/);
      const body = await b.post(url, { method: "GET", path: "/", headers: "", body: "x" });
      assert.equal(body.status, 400);
      assert.match(body.html, /id="try-body-error"[^>]*>A GET request has no body/);
      const path = await b.post(url, { method: "GET", path: "nope", headers: "", body: "" });
      assert.match(path.html, /id="try-path-error"/);
    });
    await t.step("a cross-site post is refused and nothing runs", async () => {
      const r = await b.post(url, { method: "GET", path: "/", headers: "", body: "" }, {
        "sec-fetch-site": "cross-site",
        origin: "https://evil.example",
      });
      assert.equal(r.status, 403);
      assert.doesNotMatch(r.html, /class="status/);
    });
    await t.step("an unknown script is not found", async () => {
      const r = await b.get(`/admin/apps/default/scripts/${crypto.randomUUID()}/try`);
      assert.equal(r.status, 404);
    });
  });
});

Deno.test("console - try page: a throwing script shows script_error; a timeout its usage", async () => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    const boom = await deploy(
      tp,
      token,
      "boom",
      `export default { fetch() { console.error("about to fail"); throw new Error("kaput"); } };`,
    );
    const slow = await deploy(
      tp,
      token,
      "slow",
      `export default { async fetch() { await new Promise((r) => setTimeout(r, 60000)); return new Response("late"); } };`,
    );
    // The script's own policy narrows its time limit (deploying keeps the platform's default).
    const policy = await tp.call("PUT", `/api/v1/admin/scripts/${slow}/policy`, {
      token,
      body: { timeoutMs: 1000 },
    });
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
    const b = browser(tp);
    await b.signIn(OWNER.email, OWNER.password);
    const thrown = await b.post(`/admin/apps/default/scripts/${boom}/try`, {
      method: "GET",
      path: "/",
      headers: "",
      body: "",
    });
    assert.equal(thrown.status, 200, thrown.html);
    assert.match(thrown.html, /class="status s5xx">500</);
    assert.match(thrown.html, /<span class="badge mono">script_error<\/span>/);
    assert.match(thrown.html, /kaput/);
    assert.match(thrown.html, /\[error\] about to fail/);
    const timedOut = await b.post(`/admin/apps/default/scripts/${slow}/try`, {
      method: "GET",
      path: "/",
      headers: "",
      body: "",
    });
    assert.equal(timedOut.status, 200, timedOut.html);
    assert.match(timedOut.html, /class="status s5xx">504</);
    assert.match(timedOut.html, /<span class="badge mono">timeout<\/span>/);
    assert.match(timedOut.html, /timeoutMs: used \d+ of 1000/);
  });
});

Deno.test("console - try page: a viewer sees a note, and a post is refused", async () => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    const id = await deploy(tp, token, "echo", ECHO);
    await tp.createUser(token, { email: "v@example.com" });
    await tp.call("POST", "/api/v1/admin/apps/default/members", {
      token,
      body: { email: "v@example.com", role: "viewer" },
    });
    const b = browser(tp);
    await b.signIn("v@example.com", "member-password-1");
    const url = `/admin/apps/default/scripts/${id}/try`;
    const r = await b.get(url);
    assert.equal(r.status, 200);
    assert.match(r.html, /running code needs app editor/);
    assert.doesNotMatch(r.html, /Send request/);
    const post = await b.post(url, { method: "GET", path: "/", headers: "", body: "" });
    assert.equal(post.status, 403);
    assert.doesNotMatch(post.html, /\[log\] hit/);
  });
});
