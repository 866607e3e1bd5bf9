import assert from "node:assert/strict";
import { DEFAULT_TEST_APP, insertTestApp, openTestDatabase, testLogRow } from "../testing/db.ts";
import {
  deleteLogsOlderThan,
  type ExecutionLogRow,
  insertLogBlocks,
  readExecutionLogs,
  trimAppLogs,
} from "./repo.ts";

function row(appId: string, i: number, at = new Date()): ExecutionLogRow {
  return testLogRow(appId, i, {
    status: 200 + i,
    cpu_ms: 1,
    logs: [{ level: "log", message: `line ${i}`, at: i }],
    error: i % 2 ? { kind: "crashed", message: "x" } : null,
    at,
  });
}

Deno.test("insertLogBlocks() - one block per app per batch, ids contiguous and in order", async () => {
  const db = await openTestDatabase();
  try {
    const { appId: a } = await insertTestApp(db.sql, DEFAULT_TEST_APP);
    const { appId: b } = await insertTestApp(db.sql, { slug: "b", host: "b.test", source: "" });
    const gone = crypto.randomUUID();
    const batch = [0, 1, 2, 3, 4, 5].map((i) => row([a, b, gone][i % 3], i));
    assert.equal(await insertLogBlocks(db.sql, batch), 4, "the deleted app's rows are left out");
    assert.equal(await insertLogBlocks(db.sql, [row(a, 6), row(b, 7)]), 2);
    const blocks = await db.sql<{ app_id: string; first_id: string; n: number }[]>`
      select app_id, first_id::text, n from execution_log_blocks order by first_id`;
    assert.deepEqual(blocks.map((x) => [x.app_id, x.n]), [[a, 2], [b, 2], [a, 1], [b, 1]]);
    const rows = await readExecutionLogs(db.sql);
    assert.deepEqual(rows.map((r) => r.request_id), ["r0", "r3", "r1", "r4", "r6", "r7"]);
    const ids = rows.map((r) => Number(r.id));
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y));
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual(rows[1], { id: rows[1].id, ...row(a, 3, rows[1].at) }, "a row reads back");
  } finally {
    await db.close();
  }
});

Deno.test("trimAppLogs() - cuts inside a block and every kept row keeps its id", async () => {
  const db = await openTestDatabase();
  try {
    const { appId: a } = await insertTestApp(db.sql, DEFAULT_TEST_APP);
    const { appId: b } = await insertTestApp(db.sql, { slug: "b", host: "b.test", source: "" });
    for (let k = 0; k < 3; k++) {
      await insertLogBlocks(db.sql, [0, 1, 2, 3].map((i) => row(a, k * 4 + i)));
      await insertLogBlocks(db.sql, [row(b, 100 + k)]);
    }
    const before = await readExecutionLogs(db.sql, { appId: a });
    assert.equal(await trimAppLogs(db.sql, a, 6), 6);
    const after = await readExecutionLogs(db.sql, { appId: a });
    assert.deepEqual(after, before.slice(6), "the newest 6, same ids and contents");
    assert.equal(await trimAppLogs(db.sql, a, 6), 0, "nothing more to trim");
    assert.equal(await trimAppLogs(db.sql, a, 3), 3, "a cut exactly on a block boundary");
    assert.deepEqual(await readExecutionLogs(db.sql, { appId: a }), before.slice(9));
    assert.equal((await readExecutionLogs(db.sql, { appId: b })).length, 3, "other apps kept");
    const [blk] = await db.sql<{ min_at: Date }[]>`
      select min_at from execution_log_blocks where app_id = ${a}`;
    assert.equal(blk.min_at.getTime(), before[9].at.getTime(), "the cut block's span shrinks");
  } finally {
    await db.close();
  }
});

Deno.test("deleteLogsOlderThan() - deletes the blocks whose rows are all old", async () => {
  const db = await openTestDatabase();
  try {
    const { appId: a } = await insertTestApp(db.sql, DEFAULT_TEST_APP);
    const old = new Date(Date.now() - 3 * 3_600_000);
    await insertLogBlocks(db.sql, [row(a, 0, old), row(a, 1, old)]);
    await insertLogBlocks(db.sql, [row(a, 2, old), row(a, 3)]);
    await insertLogBlocks(db.sql, [row(a, 4)]);
    assert.equal(await deleteLogsOlderThan(db.sql, 3_600_000), 2);
    const rows = await readExecutionLogs(db.sql);
    assert.deepEqual(rows.map((r) => r.request_id), ["r2", "r3", "r4"]);
  } finally {
    await db.close();
  }
});
