/** @module End-to-end tests of the cron trigger: the whole platform runs schedules and records their runs. */
import assert from "node:assert/strict";
import { parseConfig } from "./common/config.ts";
import { createLogger } from "./common/logging.ts";
import { insertTestApp, insertTestSchedule, openTestDatabase } from "./testing/db.ts";
import { readExecutionLogs } from "./orchestrator/mod.ts";
import { createPlatform } from "./server.ts";

const source = `export default {
  fetch: () => new Response("hi"),
  async scheduled(event, ctx) {
    console.log("tick", event.cron, typeof event.scheduledTime, ctx.app.slug);
  },
};`;

Deno.test("scheduler - runs due schedules, a missed tick once, and records each run", async () => {
  const db = await openTestDatabase();
  const platform = await createPlatform(parseConfig({ PICLOUD_LOG_FLUSH_MS: "20" }), {
    db,
    log: createLogger("error", () => {}),
  });
  try {
    const script = await insertTestApp(db.sql, {
      slug: "cron",
      host: "cron.test",
      source,
    });
    // Missed while down: due an hour ago, hourly. Runs once, then moves to the next hour.
    await insertTestSchedule(db.sql, script, "0 * * * *", "1 hour");
    // Every second: must fire repeatedly without polling.
    await insertTestSchedule(db.sql, script, "* * * * * *");
    await platform.routing.reload();
    const deadline = Date.now() + 15_000;
    let runs: { cron: string; status: string }[] = [];
    while (Date.now() < deadline) {
      runs = [
        ...await db.sql<{ cron: string; status: string }[]>`
        select s.cron, r.status from schedule_runs r join schedules s on s.id = r.schedule_id
        where r.status <> 'running'`,
      ];
      if (runs.filter((r) => r.cron === "* * * * * *").length >= 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(runs.filter((r) => r.cron === "* * * * * *").length >= 3, JSON.stringify(runs));
    assert.equal(runs.filter((r) => r.cron === "0 * * * *").length, 1);
    assert.ok(runs.every((r) => r.status === "ok"), JSON.stringify(runs));
    await platform.scheduler.idle();
    await platform.logs.flush();
    const logs = (await readExecutionLogs(db.sql)).filter((r) => r.trigger === "cron");
    assert.equal(logs[0].status, 204);
    assert.match((logs[0].logs[0] as { message: string }).message, /^tick .+ number cron$/);
  } finally {
    await platform.close();
    await db.close();
  }
});

Deno.test("scheduler - runs of one schedule never overlap; ticks during a long run coalesce", async () => {
  const db = await openTestDatabase();
  const platform = await createPlatform(parseConfig({ PICLOUD_LOG_FLUSH_MS: "20" }), {
    db,
    log: createLogger("error", () => {}),
  });
  try {
    const slow = `export default {
      fetch: () => new Response("hi"),
      scheduled: () => new Promise((r) => setTimeout(r, 2500)),
    };`;
    const script = await insertTestApp(db.sql, {
      slug: "slow",
      host: "slow.test",
      source: slow,
    });
    await insertTestSchedule(db.sql, script, "* * * * * *");
    await platform.routing.reload();
    await new Promise((r) => setTimeout(r, 6_500));
    await platform.scheduler.idle();
    const runs = await db.sql<{ started_at: Date; finished_at: Date | null }[]>`
      select started_at, finished_at from schedule_runs order by started_at`;
    // 6.5 s of an every-second schedule whose runs take 2.5 s: two or three runs, not six.
    assert.ok(runs.length >= 2 && runs.length <= 3, `${runs.length} runs`);
    for (let i = 1; i < runs.length; i++) {
      assert.ok(runs[i - 1].finished_at, "the earlier run finished");
      assert.ok(runs[i].started_at >= runs[i - 1].finished_at!, "runs do not overlap");
    }
  } finally {
    await platform.close();
    await db.close();
  }
});
