import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "./testing.ts";

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
