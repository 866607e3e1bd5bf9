import assert from "node:assert/strict";
import { openTestDatabase, testLogRow } from "../../testing/db.ts";
import { type ExecutionLogRow, insertLogBlocks } from "../../orchestrator/mod.ts";
import { seed } from "../seed.ts";
import { latestLogId, listLogGaps, listLogs, logsAfter } from "./repo.ts";

const t0 = Date.parse("2026-01-01T00:00:00Z");

function row(appId: string, i: number): ExecutionLogRow {
  return testLogRow(appId, i, { status: i % 3 === 0 ? 500 : 200, at: new Date(t0 + i * 1000) });
}

/** 60 rows in blocks of 1 to 6 rows: 0..59 in order, one second apart. */
async function fill(sql: Parameters<typeof insertLogBlocks>[0], appId: string) {
  let i = 0;
  for (let k = 1; i < 60; k = k % 6 + 1) {
    const batch: ExecutionLogRow[] = [];
    for (let j = 0; j < k && i < 60; j++) batch.push(row(appId, i++));
    await insertLogBlocks(sql, batch);
  }
}

Deno.test("listLogs() - keyset pages across blocks, with filters, newest first", async () => {
  const db = await openTestDatabase();
  try {
    const { defaultAppId: appId } = await seed(db.sql);
    await fill(db.sql, appId);
    const cases: [string, Parameters<typeof listLogs>[1], number[]][] = [
      ["all", { appId }, Array.from({ length: 60 }, (_, i) => 59 - i)],
      ["5xx", { appId, status: { class: 5 } }, [
        57,
        54,
        51,
        48,
        45,
        42,
        39,
        36,
        33,
        30,
        27,
        24,
        21,
        18,
        15,
        12,
        9,
        6,
        3,
        0,
      ]],
      ["since/until", { appId, since: new Date(t0 + 10_000), until: new Date(t0 + 17_000) }, [
        16,
        15,
        14,
        13,
        12,
        11,
        10,
      ]],
      ["unknown script", { appId, script: "nope" }, []],
    ];
    for (const [name, f, want] of cases) {
      for (const limit of [1, 4, 7, 500]) {
        const seen: number[] = [];
        let cursor: string | undefined;
        for (let pages = 0; pages < 100; pages++) {
          const page = await listLogs(db.sql, f, { limit, beforeId: cursor });
          seen.push(...page.map((r) => Number(r.request_id.slice(1))));
          if (page.length < limit) break;
          cursor = page[page.length - 1].id;
        }
        assert.deepEqual(seen, want, `${name}, limit ${limit}`);
      }
    }
  } finally {
    await db.close();
  }
});

Deno.test("logsAfter() - rows after an id in the middle of a block, oldest first", async () => {
  const db = await openTestDatabase();
  try {
    const { defaultAppId: appId } = await seed(db.sql);
    await fill(db.sql, appId);
    const all = (await listLogs(db.sql, { appId }, { limit: 500 })).reverse();
    assert.equal(await latestLogId(db.sql, appId), all[59].id);
    for (const from of [0, 1, 2, 3, 20, 58]) {
      const got = await logsAfter(db.sql, { appId }, all[from].id, 7);
      assert.deepEqual(got.map((r) => r.id), all.slice(from + 1, from + 8).map((r) => r.id));
    }
    assert.equal((await logsAfter(db.sql, { appId }, "0", 500)).length, 60);
    assert.deepEqual(await logsAfter(db.sql, { appId }, all[59].id, 5), []);
    // A gap marker ending before the cursor row's time is on the page that row ends.
    await db.sql`
      insert into execution_log_gaps (app_id, dropped, first_at, last_at)
      values (${appId}, 3, ${new Date(t0 + 30_500)}, ${new Date(t0 + 30_700)})`;
    const gaps = (toId: string) => listLogGaps(db.sql, appId, { toId, limit: 10 });
    assert.equal((await gaps(all[31].id)).length, 1);
    assert.equal((await gaps(all[30].id)).length, 0);
  } finally {
    await db.close();
  }
});
