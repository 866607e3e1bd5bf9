/** @module Tests of the scheduler's SQL: atomic claims of due runs and run records. */
import assert from "node:assert/strict";
import type { Sql } from "../../common/db.ts";
import { insertTestApp, insertTestSchedule, openTestDatabase } from "../../testing/db.ts";
import { nextRunAfter } from "./cron.ts";
import { claimDueRuns, finishRun, nextDueAt, NODE_LOCK_NS, nodeLock } from "./repo.ts";

const next = nextRunAfter;

/** An app with a scheduled script and one per-second schedule, due `ago` (an SQL interval) ago. */
async function seedDueSchedule(sql: Sql, ago: string): Promise<void> {
  const script = await insertTestApp(sql, {
    slug: "sched",
    host: "sched.test",
    source: "export default { scheduled() {} }",
  });
  await insertTestSchedule(sql, script, "* * * * * *", ago);
}

Deno.test("claimDueRuns() - racing nodes claim each due run exactly once", async () => {
  const db = await openTestDatabase();
  try {
    const script = await insertTestApp(db.sql, {
      slug: "sched",
      host: "sched.test",
      source: "export default { scheduled() {} }",
    });
    for (let i = 0; i < 20; i++) await insertTestSchedule(db.sql, script, "0 * * * *", "5 minutes");
    const nodes = ["n1", "n2", "n3", "n4"];
    const results = await Promise.all(
      nodes.flatMap((node) =>
        [1, 2].map(() => claimDueRuns(db.sql, { node, staleMs: 60_000, limit: 7, next }))
      ),
    );
    const claimed = results.flat();
    assert.equal(claimed.length, 20);
    assert.equal(new Set(claimed.map((c) => c.scheduleId)).size, 20);
    const [{ n }] = await db.sql`select count(*)::int as n from schedule_runs`;
    assert.equal(n, 20);
    const [{ future }] = await db.sql`
      select bool_and(next_run_at > now()) as future from schedules`;
    assert.equal(future, true, "every schedule moved to its next time");
  } finally {
    await db.close();
  }
});

Deno.test("claimDueRuns() - a running schedule is not claimed again until finished", async () => {
  const db = await openTestDatabase();
  try {
    await seedDueSchedule(db.sql, "1 hour");
    const opts = { node: "n1", staleMs: 60_000, limit: 10, next };
    const [run] = await claimDueRuns(db.sql, opts);
    assert.ok(run);
    await db.sql`update schedules set next_run_at = now() - interval '1 second'`;
    assert.deepEqual(await claimDueRuns(db.sql, opts), [], "no overlap while running");
    await finishRun(db.sql, run, { ok: true, error: null });
    const [status] = await db.sql`select status, finished_at from schedule_runs`;
    assert.equal(status.status, "ok");
    assert.ok(status.finished_at);
    assert.equal((await claimDueRuns(db.sql, opts)).length, 1, "claimable once finished");
    await db.sql`update schedules set next_run_at = now() - interval '1 second',
      running_since = now() - interval '2 minutes'`;
    assert.equal((await claimDueRuns(db.sql, opts)).length, 1, "an abandoned run is reclaimed");
  } finally {
    await db.close();
  }
});

Deno.test("claimDueRuns() - the next time counts from the claim's instant in the database", async () => {
  // A claim whose code runs late (a loaded machine) must not skip the tick that came due
  // meanwhile: the next time is computed from the database's now() of the claim (the run's
  // started_at), never from a later clock read.
  const db = await openTestDatabase();
  try {
    await seedDueSchedule(db.sql, "1 hour");
    const seen: Date[] = [];
    const [run] = await claimDueRuns(db.sql, {
      node: "n1",
      staleMs: 60_000,
      limit: 10,
      next: (cron, tz, after) => {
        seen.push(after);
        return nextRunAfter(cron, tz, after);
      },
    });
    assert.ok(run);
    const [row] = await db.sql<{ started_at: Date; next_run_at: Date }[]>`
      select r.started_at, s.next_run_at from schedule_runs r join schedules s
        on s.id = r.schedule_id`;
    assert.equal(seen.length, 1);
    assert.equal(seen[0].getTime(), row.started_at.getTime());
    assert.equal(
      row.next_run_at.getTime(),
      Math.floor(row.started_at.getTime() / 1000) * 1000 + 1000,
      "the whole second after the claim",
    );
  } finally {
    await db.close();
  }
});

// Liveness locks are PostgreSQL's (pg_locks across sessions); CI's PostgreSQL run has DATABASE_URL.
const noPostgres = !Deno.env.get("DATABASE_URL");

Deno.test({
  name: `claimDueRuns() - a run whose node's session ended is taken over at once (liveness)${
    noPostgres ? " (SKIPPED: needs DATABASE_URL, set in CI's PostgreSQL run)" : ""
  }`,
  ignore: noPostgres,
  fn: async () => {
    const db = await openTestDatabase();
    const o = db.sql.options;
    const url = `postgres://${o.user}@${o.host[0]}:${o.port[0]}/${o.database}`;
    const lockA = nodeLock(url, "node-a");
    try {
      await seedDueSchedule(db.sql, "1 second");
      const a = { node: "node-a", staleMs: 60_000, limit: 10, next, liveness: true };
      const b = { ...a, node: "node-b" };
      await lockA.ensure();
      const [run] = await claimDueRuns(db.sql, a);
      assert.ok(run, "node A claims");
      await db.sql`update schedules set next_run_at = now() - interval '1 second'`;
      assert.deepEqual(await claimDueRuns(db.sql, b), [], "A lives: no takeover");
      const due = await nextDueAt(db.sql, 60_000, true);
      assert.ok(due && due.getTime() <= Date.now() + 1_500, "B looks again within a second");
      // A is killed: the server ends its session, and with it the lock.
      await db.sql`
        select pg_terminate_backend(pid) from pg_locks
        where locktype = 'advisory' and classid = ${NODE_LOCK_NS}::oid`;
      for (let i = 0; i < 50; i++) {
        const [{ n }] = await db.sql<{ n: number }[]>`
          select count(*)::int as n from pg_locks
          where locktype = 'advisory' and classid = ${NODE_LOCK_NS}::oid`;
        if (n === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok((await nextDueAt(db.sql, 60_000, true))!.getTime() <= Date.now() + 100);
      const taken = await claimDueRuns(db.sql, b);
      assert.equal(taken.length, 1, "B takes the schedule over at once, not after staleMs");
      const runs = await db.sql<{ node: string; status: string }[]>`
        select node, status from schedule_runs order by id`;
      assert.deepEqual(runs.map((r) => [r.node, r.status]), [
        ["node-a", "error"],
        ["node-b", "running"],
      ]);
      // Without liveness (the embedded database: one process), only staleMs frees it.
      await db.sql`update schedules set next_run_at = now() - interval '1 second'`;
      assert.deepEqual(await claimDueRuns(db.sql, { ...a, liveness: false }), []);
    } finally {
      await lockA.release();
      await db.close();
    }
  },
});
