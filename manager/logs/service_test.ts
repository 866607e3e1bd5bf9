import assert from "node:assert/strict";
import { ApiError } from "../../common/errors.ts";
import { testLogRow } from "../../testing/db.ts";
import { insertLogBlocks } from "../../orchestrator/mod.ts";
import type { Principal } from "../authz.ts";
import { ownerPrincipal, withTestPlatform } from "../../testing/platform.ts";
import { openLogTail, readLogs } from "./service.ts";

Deno.test("logs service - pages with the stopping limit; a tail reads after its start", async () => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const owner = await ownerPrincipal(t);
    const [app] = await t.p.db.sql<{ id: string }[]>`select id from apps where slug = 'default'`;
    const timeout = { kind: "timeout", limitMs: 100, elapsedMs: 130 };
    await insertLogBlocks(t.p.db.sql, [
      testLogRow(app.id, 1),
      testLogRow(app.id, 2, { status: 504, outcome: "timeout", error: timeout }),
    ]);
    const page = await readLogs(deps, owner, "default", { limit: 1, status: "5xx" });
    assert.deepEqual(page.items.map((i) => [i.path, i.limit]), [
      ["/p/2", { name: "timeoutMs", limit: 100, used: 130 }],
    ]);
    assert.equal(page.next_cursor, page.items[0].id);
    const rest = await readLogs(deps, owner, "default", { limit: 5, cursor: page.next_cursor! });
    assert.deepEqual(rest.items.map((i) => i.path), ["/p/1"]);

    let current: Principal | null = owner;
    const tail = await openLogTail(deps, owner, "default", {
      reauthenticate: () => Promise.resolve(current),
    });
    const start = await tail.start();
    assert.deepEqual(await tail.after(start, 10), []);
    await insertLogBlocks(t.p.db.sql, [testLogRow(app.id, 3)]);
    assert.deepEqual((await tail.after(start, 10)).map((i) => i.path), ["/p/3"]);
    assert.equal(await tail.stillAllowed(), true);
    current = { ...owner, instanceRole: "member" };
    assert.equal(await tail.stillAllowed(), false);
  });
});

Deno.test("logs service - an app the caller is not in is not found", async () => {
  await withTestPlatform(async (t) => {
    const member: Principal = {
      kind: "session",
      userId: crypto.randomUUID(),
      instanceRole: "member",
      appRoles: {},
    };
    await assert.rejects(
      readLogs(t.p.managerDeps, member, "default", { limit: 5 }),
      (e) => e instanceof ApiError && e.code === "app_not_found",
    );
  });
});
