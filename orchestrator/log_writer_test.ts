import assert from "node:assert/strict";
import { createLogger } from "../common/logging.ts";
import { openTestDatabase } from "../common/testing.ts";
import { seed } from "../manager/seed.ts";
import { createLogFeed } from "./log_feed.ts";
import { createLogWriter } from "./log_writer.ts";
import type { ExecutionLogRow } from "./repo.ts";

function row(appId: string, i: number): ExecutionLogRow {
  return {
    app_id: appId,
    script_id: null,
    script_version_id: null,
    trigger: "http",
    request_id: `r${i}`,
    method: "GET",
    path: `/p/${i}`,
    host: "localhost",
    status: 200,
    outcome: "ok",
    duration_ms: i,
    cpu_ms: null,
    memory_mb: null,
    logs: [{ level: "log", message: `line ${i} with 'quotes' and \u00e9`, at: 1 }],
    error: null,
    at: new Date(),
  };
}

Deno.test("createLogWriter() - batches rows in order, by size and by time", async () => {
  const db = await openTestDatabase();
  try {
    const { defaultAppId } = await seed(db.sql);
    const w = createLogWriter(db.sql, {
      flushMs: 30,
      batchSize: 5,
      log: createLogger("error", () => {}),
    });
    for (let i = 0; i < 12; i++) w.push(row(defaultAppId, i));
    await w.close();
    const rows = await db.sql`select request_id, logs from execution_logs order by id`;
    assert.deepEqual(rows.map((r) => r.request_id), Array.from({ length: 12 }, (_, i) => `r${i}`));
    assert.equal(rows[3].logs[0].message, "line 3 with 'quotes' and \u00e9");
    w.push(row(defaultAppId, 99));
    await w.flush();
    const [{ n }] = await db.sql`select count(*)::int as n from execution_logs`;
    assert.equal(n, 12, "rows pushed after close are ignored");
  } finally {
    await db.close();
  }
});

Deno.test("createLogWriter() - rows of a deleted app are dropped, not the batch", async () => {
  const db = await openTestDatabase();
  try {
    const { defaultAppId } = await seed(db.sql);
    const lines: string[] = [];
    const w = createLogWriter(db.sql, {
      flushMs: 10,
      batchSize: 100,
      log: createLogger("error", (l) => lines.push(l)),
    });
    w.push(row(defaultAppId, 1));
    w.push(row(crypto.randomUUID(), 2));
    w.push(row(defaultAppId, 3));
    await w.close();
    const rows = await db.sql`select request_id from execution_logs order by id`;
    assert.deepEqual(rows.map((r) => r.request_id), ["r1", "r3"]);
    assert.deepEqual(lines, []);
  } finally {
    await db.close();
  }
});

Deno.test("createLogWriter() - a full buffer drops the oldest rows and counts them", async () => {
  const db = await openTestDatabase();
  try {
    const { defaultAppId } = await seed(db.sql);
    const w = createLogWriter(db.sql, {
      flushMs: 10_000,
      batchSize: 1000,
      maxPending: 3,
      log: createLogger("error", () => {}),
    });
    for (let i = 0; i < 5; i++) w.push(row(defaultAppId, i));
    assert.equal(w.dropped, 2);
    await w.close();
    const rows = await db.sql`select request_id from execution_logs order by id`;
    assert.deepEqual(rows.map((r) => r.request_id), ["r2", "r3", "r4"]);
  } finally {
    await db.close();
  }
});

Deno.test("createLogWriter() - retention keeps the newest rows per app and drops old ones", async () => {
  const db = await openTestDatabase();
  try {
    const { defaultAppId } = await seed(db.sql);
    const w = createLogWriter(db.sql, {
      flushMs: 10,
      batchSize: 100,
      log: createLogger("error", () => {}),
      retention: { maxAgeMs: 60 * 60_000, maxRowsPerApp: 4, everyMs: 0 },
    });
    const old = { ...row(defaultAppId, 0), at: new Date(Date.now() - 2 * 60 * 60_000) };
    w.push(old);
    for (let i = 1; i <= 6; i++) w.push(row(defaultAppId, i));
    await w.close();
    const rows = await db.sql`select request_id from execution_logs order by id`;
    assert.deepEqual(rows.map((r) => r.request_id), ["r3", "r4", "r5", "r6"]);
  } finally {
    await db.close();
  }
});

Deno.test("createLogWriter() - announces apps with new rows to the live feed", async () => {
  const db = await openTestDatabase();
  try {
    const { defaultAppId } = await seed(db.sql);
    const feed = createLogFeed(db.sql, { listen: Deno.env.get("DATABASE_URL") !== undefined });
    let woke = 0;
    const unsubscribe = feed.subscribe(defaultAppId, () => woke++);
    await new Promise((r) => setTimeout(r, 200)); // LISTEN is set up asynchronously
    const w = createLogWriter(db.sql, {
      flushMs: 10,
      batchSize: 100,
      log: createLogger("error", () => {}),
      feed,
    });
    w.push(row(defaultAppId, 1));
    await w.close();
    const deadline = Date.now() + 5_000;
    while (woke === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(woke >= 1);
    unsubscribe();
    await feed.close();
  } finally {
    await db.close();
  }
});
