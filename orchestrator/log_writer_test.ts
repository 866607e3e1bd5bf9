import assert from "node:assert/strict";
import { createLogger } from "../common/logging.ts";
import type { Database } from "../common/db.ts";
import { DEFAULT_TEST_APP, insertTestApp, openTestDatabase, testLogRow } from "../testing/db.ts";
import { createLogFeed } from "./log_feed.ts";
import { createLogWriter, ENCODE_SLICE_ROWS, estimateRowBytes } from "./log_writer.ts";
import { type ExecutionLogRow, readExecutionLogs } from "./repo.ts";

function row(appId: string, i: number): ExecutionLogRow {
  return testLogRow(appId, i, {
    logs: [{ level: "log", message: `line ${i} with 'quotes' and \u00e9`, at: 1 }],
  });
}

Deno.test("createLogWriter() - batches rows in order, by size and by time", async () => {
  const db = await openTestDatabase();
  try {
    const { appId: defaultAppId } = await insertTestApp(db.sql, DEFAULT_TEST_APP);
    const w = createLogWriter(db.sql, {
      flushMs: 30,
      batchSize: 5,
      log: createLogger("error", () => {}),
    });
    for (let i = 0; i < 12; i++) w.push(row(defaultAppId, i));
    await w.close();
    const rows = await readExecutionLogs(db.sql);
    assert.deepEqual(rows.map((r) => r.request_id), Array.from({ length: 12 }, (_, i) => `r${i}`));
    assert.equal(
      (rows[3].logs[0] as { message: string }).message,
      "line 3 with 'quotes' and \u00e9",
    );
    w.push(row(defaultAppId, 99));
    await w.flush();
    assert.equal(
      (await readExecutionLogs(db.sql)).length,
      12,
      "rows pushed after close are not written",
    );
    assert.equal(w.stats().dropped, 1, "but counted");
  } finally {
    await db.close();
  }
});

Deno.test("createLogWriter() - a large batch is encoded a slice per turn, each app's rows in order", async () => {
  const db = await openTestDatabase();
  try {
    const { appId: a } = await insertTestApp(db.sql, DEFAULT_TEST_APP);
    const { appId: b } = await insertTestApp(db.sql, { slug: "b", host: "b.test", source: "" });
    const n = ENCODE_SLICE_ROWS * 2 + 10;
    const w = createLogWriter(db.sql, {
      flushMs: 60_000,
      batchSize: n,
      log: createLogger("error", () => {}),
    });
    let turns = 0;
    const ticking = setInterval(() => turns++, 0);
    for (let i = 0; i < n; i++) w.push(row(i % 3 ? a : b, i));
    await w.close();
    clearInterval(ticking);
    assert.equal(w.stats().batches, 1, "one statement");
    assert.ok(turns >= 3, `timers ran between the slices (${turns} turns)`);
    const blocks = await db.sql<{ app_id: string; n: number }[]>`
      select app_id, n from execution_log_blocks order by first_id`;
    assert.equal(blocks.length, 6, "a block per app per slice");
    assert.equal(blocks.reduce((t, x) => t + x.n, 0), n);
    const rows = await readExecutionLogs(db.sql);
    assert.equal(rows.length, n);
    for (const app of [a, b]) {
      const mine = rows.filter((r) => r.app_id === app).map((r) => Number(r.request_id.slice(1)));
      assert.deepEqual(mine, [...mine].sort((x, y) => x - y), "in push order");
    }
    const ids = rows.map((r) => Number(r.id));
    assert.equal(new Set(ids).size, n, "every row has an id of its own");
  } finally {
    await db.close();
  }
});

Deno.test("createLogWriter() - rows of a deleted app are dropped, not the batch", async () => {
  const db = await openTestDatabase();
  try {
    const { appId: defaultAppId } = await insertTestApp(db.sql, DEFAULT_TEST_APP);
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
    const rows = await readExecutionLogs(db.sql);
    assert.deepEqual(rows.map((r) => r.request_id), ["r1", "r3"]);
    assert.deepEqual(lines, []);
    const st = w.stats();
    assert.deepEqual([st.pushed, st.written, st.discarded, st.dropped], [3, 2, 1, 0]);
  } finally {
    await db.close();
  }
});

/** Makes every insert of log blocks take `ms` longer: a slow database, for real. */
async function slowInserts(sql: Database["sql"], ms: number) {
  await sql`create table picloud_test_sleep (secs float8 not null)`;
  await sql`insert into picloud_test_sleep values (${ms / 1000})`;
  await sql`
    create function picloud_test_slow() returns trigger language plpgsql as $$
    begin perform pg_sleep((select secs from picloud_test_sleep)); return null; end $$`;
  await sql`
    create trigger picloud_test_slow before insert on execution_log_blocks
    for each statement execute function picloud_test_slow()`;
}

const quiet = () => createLogger("error", () => {});

Deno.test("createLogWriter() - a burst over the bound on a slow database loses no row silently", async () => {
  const db = await openTestDatabase();
  try {
    const { appId: defaultAppId } = await insertTestApp(db.sql, DEFAULT_TEST_APP);
    const other = await insertTestApp(db.sql, { slug: "other", host: "other.test", source: "" });
    await slowInserts(db.sql, 50);
    const w = createLogWriter(db.sql, {
      flushMs: 20,
      batchSize: 50,
      maxBatchRows: 200,
      maxPendingRows: 300,
      log: quiet(),
    });
    const t0 = Date.now();
    let pushed = 0;
    // 40 bursts of 250 rows, yielding between them so writes interleave with the flood.
    for (let b = 0; b < 40; b++) {
      for (let i = 0; i < 250; i++) {
        w.push(row(pushed % 3 === 0 ? other.appId : defaultAppId, pushed));
        pushed++;
      }
      assert.ok(w.stats().pending <= 300, "the row bound holds");
      await new Promise((r) => setTimeout(r, 5));
    }
    await w.close();
    const st = w.stats();
    assert.equal(st.pushed, pushed);
    assert.ok(st.dropped > 0, "the bound was hit");
    assert.equal(st.written + st.dropped, pushed, JSON.stringify(st));
    assert.equal(st.pending, 0);
    assert.equal(st.pendingBytes, 0);
    assert.equal(st.unrecordedDrops, 0);
    assert.equal((await readExecutionLogs(db.sql)).length, st.written);
    const gaps = await db.sql<{ app_id: string; dropped: number; first_at: Date; last_at: Date }[]>`
      select app_id, dropped::int, first_at, last_at from execution_log_gaps`;
    assert.equal(gaps.reduce((a, g) => a + g.dropped, 0), st.dropped);
    assert.deepEqual(new Set(gaps.map((g) => g.app_id)), new Set([defaultAppId, other.appId]));
    for (const g of gaps) assert.ok(g.first_at.getTime() >= t0 - 1000 && g.first_at <= g.last_at);
    // Written rows keep their order within the flood, per app (a batch is one block per app).
    for (const appId of [defaultAppId, other.appId]) {
      const ids = await readExecutionLogs(db.sql, { appId });
      const seq = ids.map((r) => Number(String(r.request_id).slice(1)));
      assert.deepEqual(seq, [...seq].sort((a, b) => a - b));
    }
  } finally {
    await db.close();
  }
});

Deno.test("createLogWriter() - the byte bound holds for rows with large logs", async () => {
  const db = await openTestDatabase();
  try {
    const { appId: defaultAppId } = await insertTestApp(db.sql, DEFAULT_TEST_APP);
    const w = createLogWriter(db.sql, {
      flushMs: 10_000,
      batchSize: 1000,
      maxPendingBytes: 4 * 1024 * 1024,
      log: quiet(),
    });
    const line = "x".repeat(2000);
    const big = (i: number) => ({
      ...row(defaultAppId, i),
      logs: Array.from({ length: 200 }, () => ({ level: "log", message: line, at: 1 })),
    });
    assert.ok(estimateRowBytes(big(0)) > 400_000);
    for (let i = 0; i < 50; i++) w.push(big(i));
    const st = w.stats();
    assert.ok(st.pendingBytes <= 4 * 1024 * 1024, String(st.pendingBytes));
    assert.equal(st.pending, Math.floor(4 * 1024 * 1024 / estimateRowBytes(big(0))));
    assert.equal(st.pending + st.dropped, 50);
    // A small row still fits beside them.
    w.push(row(defaultAppId, 99));
    assert.equal(w.stats().pending, st.pending + 1);
    await w.close();
    assert.equal(w.stats().written, st.pending + 1);
    const [{ n }] = await db.sql`select sum(dropped)::int as n from execution_log_gaps`;
    assert.equal(n, st.dropped);
  } finally {
    await db.close();
  }
});

Deno.test("createLogWriter() - flush callers share one promise and writes never overlap", async () => {
  const db = await openTestDatabase();
  try {
    const { appId: defaultAppId } = await insertTestApp(db.sql, DEFAULT_TEST_APP);
    await slowInserts(db.sql, 20);
    const w = createLogWriter(db.sql, { flushMs: 10_000, batchSize: 10_000, log: quiet() });
    for (let i = 0; i < 10; i++) w.push(row(defaultAppId, i));
    const first = w.flush();
    const flushes = Array.from({ length: 5_000 }, () => w.flush());
    assert.ok(flushes.every((p) => p === first), "one promise for one moment");
    w.push(row(defaultAppId, 10));
    const later = w.flush();
    assert.notEqual(later, first);
    await Promise.all([...flushes, later]);
    const st = w.stats();
    assert.equal(st.written, 11);
    assert.ok(st.batches <= 2, `${st.batches} statements`);
    assert.equal(await w.flush(), undefined, "nothing pending: resolves at once");
    await w.close();
  } finally {
    await db.close();
  }
});

Deno.test("createLogWriter() - sanitizes NUL and lone surrogates instead of losing the batch", async () => {
  const db = await openTestDatabase();
  try {
    const { appId: defaultAppId } = await insertTestApp(db.sql, DEFAULT_TEST_APP);
    const w = createLogWriter(db.sql, { flushMs: 10, batchSize: 100, log: quiet() });
    w.push({
      ...row(defaultAppId, 1),
      logs: [{ level: "log", message: "a\u0000b\ud800c", at: 1 }],
    });
    w.push({ ...row(defaultAppId, 2), error: { kind: "crashed", message: "\udc00" } });
    w.push(row(defaultAppId, 3));
    await w.close();
    assert.equal(w.stats().written, 3);
    const rows = await readExecutionLogs(db.sql);
    assert.equal((rows[0].logs[0] as { message: string }).message, "a\ufffdb\ufffdc");
    assert.equal(rows[1].error?.message, "\ufffd");
  } finally {
    await db.close();
  }
});

Deno.test("createLogWriter() - a failed write counts its rows as dropped and records the gap later", async () => {
  const db = await openTestDatabase();
  try {
    const { appId: defaultAppId } = await insertTestApp(db.sql, DEFAULT_TEST_APP);
    const refused = new Date("2001-02-03T04:05:06Z");
    await db.sql.unsafe(`
      alter table execution_log_blocks
      add constraint picloud_test_no check (min_at <> '${refused.toISOString()}'::timestamptz)`);
    const w = createLogWriter(db.sql, { flushMs: 10, batchSize: 100, log: quiet() });
    w.push({ ...row(defaultAppId, 1), at: refused });
    await w.flush();
    w.push(row(defaultAppId, 2));
    await w.close();
    const st = w.stats();
    assert.deepEqual([st.written, st.dropped, st.failedBatches], [1, 1, 1]);
    assert.match(st.lastError?.message ?? "", /picloud_test_no/);
    const gaps = await db.sql`select dropped::int from execution_log_gaps`;
    assert.deepEqual(gaps.map((g) => g.dropped), [1]);
  } finally {
    await db.close();
  }
});

Deno.test("createLogWriter() - retention keeps the newest rows per app and drops old ones", async () => {
  const db = await openTestDatabase();
  try {
    const { appId: defaultAppId } = await insertTestApp(db.sql, DEFAULT_TEST_APP);
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
    const rows = await readExecutionLogs(db.sql);
    assert.deepEqual(rows.map((r) => r.request_id), ["r3", "r4", "r5", "r6"]);
  } finally {
    await db.close();
  }
});

Deno.test("createLogWriter() - announces apps with new rows to the live feed", async () => {
  const db = await openTestDatabase();
  try {
    const { appId: defaultAppId } = await insertTestApp(db.sql, DEFAULT_TEST_APP);
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

Deno.test("createLogWriter() - a row still being finished (pushLater) is waited for by flush", async () => {
  const db = await openTestDatabase();
  try {
    const { appId } = await insertTestApp(db.sql, DEFAULT_TEST_APP);
    const w = createLogWriter(db.sql, { flushMs: 10_000, batchSize: 10_000, log: quiet() });
    let finish = (_: ReturnType<typeof row>) => {};
    w.pushLater(new Promise((resolve) => finish = resolve));
    const flushed = w.flush();
    setTimeout(() => finish(row(appId, 1)), 50);
    await flushed;
    assert.equal(w.stats().written, 1, "the late row was written before flush resolved");
    await w.close();
  } finally {
    await db.close();
  }
});
