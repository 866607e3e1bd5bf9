/** @module SQL of the scheduler: the next due time, atomic claims of due runs, and run records. */
import type { Sql } from "../../common/db.ts";

/** A run this node claimed: it alone executes it. */
export interface ClaimedRun {
  runId: string;
  scheduleId: string;
  appId: string;
  scriptId: string;
  cron: string;
  scheduledFor: Date;
}

/**
 * When the scheduler must next look: the earliest `next_run_at` of an enabled schedule that is not
 * running; for a running one, not before its run would count as abandoned (`staleMs`). Null when
 * nothing is scheduled.
 */
export async function nextDueAt(sql: Sql, staleMs: number): Promise<Date | null> {
  const [row] = await sql<{ due: Date | null }[]>`
    select min(case when running_since is null then next_run_at
      else greatest(next_run_at, running_since + make_interval(secs => ${staleMs / 1000})) end)
      as due
    from schedules where enabled and next_run_at is not null`;
  return row?.due ?? null;
}

/**
 * Claims up to `limit` due schedules. Rows are locked with `FOR UPDATE SKIP LOCKED`, so nodes
 * racing for the same tick never both get it; a claimed schedule is marked running (no overlap)
 * and moved to its next time; the run is recorded under a unique (schedule, time) key. A run
 * left marked by a node that died is reclaimable after `staleMs`.
 */
export async function claimDueRuns(
  sql: Sql,
  opts: {
    node: string;
    staleMs: number;
    limit: number;
    next: (cron: string, tz: string) => Date | null;
  },
): Promise<ClaimedRun[]> {
  return await sql.begin(async (tx) => {
    const due = await tx<
      {
        id: string;
        app_id: string;
        script_id: string;
        cron: string;
        timezone: string;
        next_run_at: Date;
      }[]
    >`
      select id, app_id, script_id, cron, timezone, next_run_at from schedules
      where enabled and next_run_at <= now()
        and (running_since is null
             or running_since < now() - make_interval(secs => ${opts.staleMs / 1000}))
      order by next_run_at
      limit ${opts.limit}
      for update skip locked`;
    const claimed: ClaimedRun[] = [];
    for (const s of due) {
      let next: Date | null;
      try {
        next = opts.next(s.cron, s.timezone);
      } catch {
        next = null;
      }
      await tx`
        update schedules set running_since = now(), last_run_at = now(), next_run_at = ${next},
          enabled = ${next !== null}, updated_at = now()
        where id = ${s.id}`;
      const [run] = await tx<{ id: string }[]>`
        insert into schedule_runs (schedule_id, scheduled_for, node)
        values (${s.id}, ${s.next_run_at}, ${opts.node})
        on conflict (schedule_id, scheduled_for) do nothing
        returning id::text`;
      if (!run) {
        await tx`update schedules set running_since = null where id = ${s.id}`;
        continue;
      }
      claimed.push({
        runId: run.id,
        scheduleId: s.id,
        appId: s.app_id,
        scriptId: s.script_id,
        cron: s.cron,
        scheduledFor: s.next_run_at,
      });
    }
    return claimed;
  });
}

/** Records how a run ended and frees its schedule for the next run. */
export async function finishRun(
  sql: Sql,
  run: ClaimedRun,
  result: { ok: boolean; error: string | null },
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      update schedule_runs set finished_at = now(), status = ${result.ok ? "ok" : "error"},
        error = ${result.error}
      where id = ${run.runId}`;
    await tx`update schedules set running_since = null where id = ${run.scheduleId}`;
  });
}
