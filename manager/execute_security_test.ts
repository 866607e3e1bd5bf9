/**
 * @module Regression tests of cookie CSRF edges (break 13): the session cookie alone never runs a
 * script, whatever the method; the origin check compares scheme, host and port; an app-narrowed
 * key's `/me` shows only its app.
 */
import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../testing/platform.ts";

const A = "/api/v1/admin";

Deno.test("break 13 - the session cookie runs a script only with same-origin proof, any method", async (tt) => {
  await withTestPlatform(async (t) => {
    const token = await t.login(OWNER.email, OWNER.password);
    const script = await t.call("POST", `${A}/scripts`, {
      token,
      body: {
        name: "count",
        source: "export default { fetch: () => new Response('ran') };",
      },
    });
    assert.equal(script.status, 201, JSON.stringify(script.body));
    const cookie = `picloud_session=${token}`;
    const run = `/api/v1/execute/${script.body.id}`;
    const cases: [string, string, Record<string, string>, number][] = [
      ["GET, cookie only (a link or top-level navigation)", "GET", { cookie }, 403],
      ["HEAD, cookie only", "HEAD", { cookie }, 403],
      ["GET, cross-site navigation", "GET", { cookie, "sec-fetch-site": "cross-site" }, 403],
      ["GET, same-site is not same-origin", "GET", { cookie, "sec-fetch-site": "same-site" }, 403],
      ["GET, user-typed URL", "GET", { cookie, "sec-fetch-site": "none" }, 403],
      ["GET, other scheme", "GET", { cookie, origin: "https://localhost" }, 403],
      ["GET, other port", "GET", { cookie, origin: "http://localhost:8080" }, 403],
      ["GET, opaque origin", "GET", { cookie, origin: "null" }, 403],
      ["POST, other scheme", "POST", { cookie, origin: "https://localhost" }, 403],
      ["GET, this origin", "GET", { cookie, origin: "http://localhost" }, 200],
      ["GET, same-origin fetch", "GET", { cookie, "sec-fetch-site": "same-origin" }, 200],
      ["POST, this origin", "POST", { cookie, origin: "http://localhost" }, 200],
      ["GET, bearer needs no origin", "GET", { authorization: `Bearer ${token}` }, 200],
    ];
    for (const [name, method, headers, status] of cases) {
      await tt.step(name, async () => {
        const res = await t.p.console.request(`http://localhost${run}`, { method, headers });
        const text = await res.text();
        assert.equal(res.status, status, text);
        if (status === 403 && method !== "HEAD") {
          assert.equal(JSON.parse(text).error.code, "csrf_rejected");
        }
        if (status === 200) assert.equal(text, "ran");
      });
    }
  });
});

Deno.test("break 13 - the admin API's origin check includes scheme and port; the scheme comes from a trusted proxy only", async (tt) => {
  const attempt = async (
    t: Parameters<Parameters<typeof withTestPlatform>[0]>[0],
    token: string,
    headers: Record<string, string>,
  ) => {
    const res = await t.p.console.request(
      `http://localhost${A}/api-keys`,
      {
        method: "POST",
        headers: {
          cookie: `picloud_session=${token}`,
          "content-type": "application/json",
          ...headers,
        },
        body: JSON.stringify({ name: "k" }),
      },
      { remoteAddr: { hostname: "127.0.0.1", port: 5555 } },
    );
    return { status: res.status, body: await res.json() };
  };
  await tt.step("no trusted proxy", async () => {
    await withTestPlatform(async (t) => {
      const token = await t.login(OWNER.email, OWNER.password);
      const https = await attempt(t, token, { origin: "https://localhost" });
      assert.equal(https.status, 403);
      assert.equal(https.body.error.code, "csrf_rejected");
      const forged = await attempt(t, token, {
        origin: "https://localhost",
        "x-forwarded-proto": "https",
      });
      assert.equal(forged.body.error?.code, "csrf_rejected");
      assert.equal((await attempt(t, token, { origin: "http://localhost:81" })).status, 403);
      assert.equal((await attempt(t, token, { origin: "http://localhost" })).status, 201);
    });
  });
  await tt.step("behind a trusted TLS proxy", async () => {
    await withTestPlatform(async (t) => {
      const token = await t.login(OWNER.email, OWNER.password);
      const viaProxy = await attempt(t, token, {
        origin: "https://localhost",
        "x-forwarded-proto": "https",
      });
      assert.equal(viaProxy.status, 201, JSON.stringify(viaProxy.body));
      const plain = await attempt(t, token, {
        origin: "http://localhost",
        "x-forwarded-proto": "https",
      });
      assert.equal(plain.status, 403);
    }, { PICLOUD_TRUSTED_PROXIES: "loopback" });
  });
});

Deno.test("break 13 - /me with an app-narrowed key lists only that app", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const id = await t.createUser(owner, { email: "m@example.com" });
    for (const slug of ["app-a", "app-b"]) {
      const r = await t.call("POST", `${A}/apps`, { token: owner, body: { slug, name: slug } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const g = await t.call("POST", `${A}/apps/${slug}/members`, {
        token: owner,
        body: { user_id: id, role: "editor" },
      });
      assert.equal(g.status, 201);
    }
    const session = await t.login("m@example.com", "member-password-1");
    const all = await t.call("GET", `${A}/me`, { token: session });
    assert.deepEqual(all.body.memberships.map((m) => m.app_slug), ["app-a", "app-b"]);
    const key = await t.call("POST", `${A}/api-keys`, {
      token: session,
      body: { name: "a only", app_id: "app-a", read_only: true },
    });
    const me = await t.call("GET", `${A}/me`, { token: key.body.key });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body.memberships.map((m) => m.app_slug), ["app-a"]);
    assert.equal(JSON.stringify(me.body).includes("app-b"), false);
  });
});
