/** @module End-to-end tests of dispatch: what an invocation's execution log row records. */
import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../testing/platform.ts";

const A = "/api/v1/admin";
const source = `export default {
  fetch(request, env, ctx) {
    console.log("early");
    ctx.waitUntil(new Promise((r) => setTimeout(r, 200)).then(() => console.log("late")));
    return new Response("answered");
  },
};`;

Deno.test("dispatch - the execution log row holds the lines of waitUntil work after the response", async () => {
  await withTestPlatform(async (t) => {
    const token = await t.login(OWNER.email, OWNER.password);
    const s = await t.call("POST", `${A}/scripts`, { token, body: { name: "tail", source } });
    await t.call("POST", `${A}/routes`, {
      token,
      body: { app_id: "default", script_id: s.body.id, method: "GET", path: "/tail" },
    });
    const res = await t.p.tenant.request("http://localhost/tail");
    assert.equal(await res.text(), "answered");
    const requestId = res.headers.get("x-request-id");
    let row: Record<string, unknown> | undefined;
    // Bounded: the row is written once the waitUntil work settles (~200 ms).
    for (let i = 0; i < 100 && !row; i++) {
      await t.p.logs.flush();
      const page = await t.call("GET", `${A}/apps/default/logs?script=tail`, { token });
      assert.equal(page.status, 200, JSON.stringify(page.body));
      row = page.body.items.find((r) => r.request_id === requestId);
      if (!row) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(row, "no execution log row");
    assert.equal(row.outcome, "ok");
    assert.deepEqual((row.logs as { message: string }[]).map((l) => l.message), ["early", "late"]);
  });
});
