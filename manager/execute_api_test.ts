import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../testing/platform.ts";

Deno.test("execute API - the script never sees the caller's credentials", async () => {
  await withTestPlatform(async (t) => {
    const token = await t.login(OWNER.email, OWNER.password);
    const script = await t.call("POST", "/api/v1/admin/scripts", {
      token,
      body: {
        name: "echo",
        source: `export default { async fetch(req) {
          return Response.json({ headers: [...req.headers], body: await req.text() });
        } };`,
      },
    });
    assert.equal(script.status, 201);
    const r = await t.call("POST", `/api/v1/execute/${script.body.id}`, {
      headers: {
        cookie: `theme=dark; picloud_session=${token}`,
        origin: "http://localhost",
        "x-custom": "1",
      },
      body: { hello: "world" },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const seen = JSON.stringify(r.body);
    assert.equal(seen.includes(token), false);
    assert.equal(seen.includes("authorization"), false);
    assert.match(seen, /theme=dark/);
    assert.match(seen, /x-custom/);
    assert.equal(r.body.body, '{"hello":"world"}');
    const viaBearer = await t.call("GET", `/api/v1/execute/${script.body.id}`, { token });
    assert.equal(JSON.stringify(viaBearer.body).includes(token), false);
  });
});

Deno.test("execute API - any method and any sub-path reach the script; an unknown id is 404", async () => {
  await withTestPlatform(async (t) => {
    const token = await t.login(OWNER.email, OWNER.password);
    const script = await t.call("POST", "/api/v1/admin/scripts", {
      token,
      body: {
        name: "where",
        source: `export default { fetch(req) {
          return Response.json({ method: req.method, path: new URL(req.url).pathname });
        } };`,
      },
    });
    assert.equal(script.status, 201);
    const run = `/api/v1/execute/${script.body.id}`;
    for (const [method, path] of [["GET", "/a/b/c"], ["OPTIONS", ""], ["PROPFIND", "/x"]]) {
      const r = await t.call(method, run + path, { token });
      assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(r.body)}`);
      // The script sees the URL behind a `/*` route: the part after its execute address.
      assert.deepEqual(r.body, { method, path: path || "/" });
    }
    for (const id of ["not-a-uuid", crypto.randomUUID()]) {
      const r = await t.call("GET", `/api/v1/execute/${id}/x`, { token });
      assert.equal(r.status, 404);
      assert.equal(r.body.error.code, "script_not_found");
    }
    const anonymous = await t.call("OPTIONS", run);
    assert.equal(anonymous.status, 401);
  });
});
