/** @module Tests of the execute service: a run's response, request id, completion; who may run. */
import assert from "node:assert/strict";
import { ApiError } from "../../common/errors.ts";
import { OWNER, ownerPrincipal, withTestPlatform } from "../../testing/platform.ts";
import { executeScript } from "./execute_service.ts";

const ADDR = { transport: "tcp" as const, hostname: "127.0.0.1", port: 1 };

Deno.test("executeScript() - answers the response, its request id and the completion", async () => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    const made = await tp.call("POST", "/api/v1/admin/scripts", {
      token,
      body: {
        name: "echo",
        source: `export default { fetch(req) {
          console.log("auth=" + req.headers.get("authorization"));
          return new Response("ok " + req.method);
        } };`,
      },
    });
    assert.equal(made.status, 201);
    const deps = { manager: tp.p.managerDeps, dispatch: tp.p.dispatchDeps };
    const p = await ownerPrincipal(tp);
    const run = await executeScript(deps, p, {
      scriptId: made.body.id,
      request: new Request(`http://localhost/api/v1/execute/${made.body.id}`, {
        method: "PUT",
        headers: { authorization: "Bearer secret" },
        body: "x",
      }),
      remoteAddr: ADDR,
    });
    assert.equal(run.app.slug, "default");
    assert.equal(run.response.status, 200);
    assert.equal(run.response.headers.get("x-request-id"), run.requestId);
    assert.equal(await run.response.text(), "ok PUT");
    const done = await run.completed;
    assert.equal(done?.outcome.kind, "ok");
    // The caller's credentials never reach the script.
    assert.deepEqual(done?.logs.map((l) => l.message), ["auth=null"]);
    assert.ok((done?.durationMs ?? -1) >= 0);
  });
});

Deno.test("executeScript() - an unknown script is 404; a viewer is refused", async () => {
  await withTestPlatform(async (tp) => {
    const deps = { manager: tp.p.managerDeps, dispatch: tp.p.dispatchDeps };
    const [{ id, app_id }] = await tp.p.db.sql<{ id: string; app_id: string }[]>`
      select id, app_id from scripts limit 1`;
    const request = new Request("http://localhost/x");
    const unknown = executeScript(deps, await ownerPrincipal(tp), {
      scriptId: crypto.randomUUID(),
      request,
      remoteAddr: ADDR,
    });
    await assert.rejects(unknown, (e) => e instanceof ApiError && e.code === "script_not_found");
    const viewer = {
      kind: "session" as const,
      userId: crypto.randomUUID(),
      instanceRole: "member" as const,
      appRoles: { [app_id]: "viewer" as const },
    };
    const refused = executeScript(deps, viewer, { scriptId: id, request, remoteAddr: ADDR });
    await assert.rejects(refused, (e) => e instanceof ApiError && e.code === "forbidden");
  });
});
