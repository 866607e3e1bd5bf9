/** @module Readiness when the database is slow, gone, or behind the code's schema. */
import assert from "node:assert/strict";
import type { Sql } from "../common/db.ts";
import { createHealth } from "./health.ts";
import type { Routing } from "./routing.ts";

const routing = {
  current: () => ({ loadedAt: Date.now(), apps: new Map() }),
} as unknown as Routing;
/** A database that answers `version` to the schema query, or never when `version` is null. */
const fakeSql = (version: number | null) =>
  (() =>
    version === null ? new Promise(() => {}) : Promise.resolve([{ v: version }])) as unknown as Sql;

Deno.test("createHealth() - a database that does not answer in time is down: 503", async () => {
  const h = createHealth({
    sql: fakeSql(null),
    routing,
    expectedSchemaVersion: 3,
    databaseTimeoutMs: 50,
  });
  const started = Date.now();
  const r = await h.readiness();
  assert.ok(Date.now() - started < 1000);
  assert.equal(r.ready, false);
  assert.equal(r.status, "not_ready");
  assert.equal(r.checks.database.state, "down");
  assert.equal(r.checks.migrations.state, "unknown");
  assert.equal(r.checks.routing.state, "loaded");
  assert.deepEqual(h.lastDatabaseCheck()?.up, false);
});

Deno.test("createHealth() - a node told to serve its last snapshot is degraded, still ready", async () => {
  const h = createHealth({
    sql: fakeSql(null),
    routing,
    expectedSchemaVersion: 3,
    databaseTimeoutMs: 20,
    readyWithoutDatabase: true,
  });
  const r = await h.readiness();
  assert.equal(r.ready, true);
  assert.equal(r.status, "degraded");
});

Deno.test("createHealth() - migrations behind or ahead of the code are not ready", async (t) => {
  for (const [applied, state] of [[2, "behind"], [4, "ahead"], [3, "current"]] as const) {
    await t.step(state, async () => {
      const h = createHealth({ sql: fakeSql(applied), routing, expectedSchemaVersion: 3 });
      const r = await h.readiness();
      assert.equal(r.checks.migrations.state, state);
      assert.equal(r.ready, state === "current");
    });
  }
});

Deno.test("createHealth() - concurrent probes share one database round trip", async () => {
  let calls = 0;
  const sql = (() => {
    calls++;
    return Promise.resolve([{ v: 1 }]);
  }) as unknown as Sql;
  const h = createHealth({ sql, routing, expectedSchemaVersion: 1 });
  await Promise.all([h.readiness(), h.readiness(), h.readiness()]);
  assert.equal(calls, 1);
});
