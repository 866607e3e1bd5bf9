import assert from "node:assert/strict";
import { ApiError } from "../../common/errors.ts";
import { testLogRow } from "../../testing/db.ts";
import { insertLogBlocks } from "../../orchestrator/mod.ts";
import type { Principal } from "../authz.ts";
import { ownerPrincipal, withTestPlatform } from "../../testing/platform.ts";
import { appStats, openLogTail, readLogs } from "./service.ts";

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

Deno.test("logs service - appStats counts requests and errors per minute from stored rows", async () => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const owner = await ownerPrincipal(t);
    const [app] = await t.p.db.sql<{ id: string }[]>`select id from apps where slug = 'default'`;
    const now = new Date("2026-03-01T12:30:30Z");
    const at = (minAgo: number) => new Date(now.getTime() - minAgo * 60_000);
    const timeout = { kind: "timeout", limitMs: 100, elapsedMs: 130 };
    await insertLogBlocks(t.p.db.sql, [
      testLogRow(app.id, 1, { at: at(90), duration_ms: 999 }),
      testLogRow(app.id, 2, { at: at(5), duration_ms: 10 }),
      testLogRow(app.id, 3, { at: at(5), duration_ms: 30, status: 500 }),
      testLogRow(app.id, 4, { at: at(1), status: 404, duration_ms: 7 }),
      testLogRow(app.id, 5, { at: at(0), status: 504, outcome: "timeout", error: timeout }),
    ]);
    // Written later (a higher id) but older: the recent errors go by time.
    await insertLogBlocks(t.p.db.sql, [testLogRow(app.id, 6, { at: at(30), status: 503 })]);
    const s = await appStats(deps, owner, "default", { now });
    assert.equal(s.buckets.length, 60);
    assert.equal(s.until.toISOString(), "2026-03-01T12:31:00.000Z");
    assert.equal(s.since.toISOString(), "2026-03-01T11:31:00.000Z");
    assert.deepEqual([s.requests, s.errors, s.truncated], [5, 3, false]);
    const five = s.buckets.find((b) => b.at.toISOString() === "2026-03-01T12:25:00.000Z")!;
    assert.deepEqual([five.requests, five.errors, five.p50_ms, five.p95_ms], [2, 1, 20, 29]);
    assert.deepEqual(s.buckets[59].requests, 1);
    assert.deepEqual(s.recent_errors.map((e) => [e.path, e.limit?.name ?? null]), [
      ["/p/5", "timeoutMs"],
      ["/p/3", null],
      ["/p/6", null],
    ]);
    const two = await appStats(deps, owner, "default", { now, recentErrors: 1 });
    assert.deepEqual(two.recent_errors.map((e) => e.path), ["/p/5"]);
    const member: Principal = { ...owner, instanceRole: "member", appRoles: {} };
    await assert.rejects(
      appStats(deps, member, "default", { now }),
      (e) => e instanceof ApiError && e.code === "app_not_found",
    );
  });
});

Deno.test("logs service - trigger and outcome filters", async () => {
  await withTestPlatform(async (t) => {
    const owner = await ownerPrincipal(t);
    const [app] = await t.p.db.sql<{ id: string }[]>`select id from apps where slug = 'default'`;
    await insertLogBlocks(t.p.db.sql, [
      testLogRow(app.id, 1, { trigger: "cron", method: null, path: null }),
      testLogRow(app.id, 2, { status: 502, outcome: "crashed" }),
      testLogRow(app.id, 3),
    ]);
    const read = async (q: Record<string, string>) =>
      (await readLogs(t.p.managerDeps, owner, "default", { limit: 10, ...q })).items
        .map((i) => i.request_id);
    assert.deepEqual(await read({ trigger: "cron" }), ["r1"]);
    assert.deepEqual(await read({ outcome: "crashed" }), ["r2"]);
    assert.deepEqual(await read({ trigger: "http", outcome: "ok" }), ["r3"]);
  });
});
