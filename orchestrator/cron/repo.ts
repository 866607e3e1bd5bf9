/** @module SQL of the scheduler: the next due time, atomic claims of due runs, and run records. */
import postgres from "postgres";
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
 * Advisory-lock namespace (first key) of the schedulers' liveness locks: a scheduler on PostgreSQL
 * holds `(NODE_LOCK_NS, hashtext(node))` on a session of its own for as long as it lives, so the
 * others see at once when it is gone (`kill -9`, a lost machine: the server ends its session).
 */
export const NODE_LOCK_NS = 0x50694372;

/**
 * This scheduler's liveness lock, on a connection of its own to `databaseUrl` (PostgreSQL only):
 * `ensure()` before claiming takes it (again: a lock is counted per session, and a connection that
 * was lost and reopened has none), `release()` at the end closes the connection.
 */
export function nodeLock(databaseUrl: string, node: string): {
  ensure(): Promise<void>;
  release(): Promise<void>;
} {
  // One connection, kept open for good: the lock lives exactly as long as it does.
  const conn = postgres(databaseUrl, {
    max: 1,
    idle_timeout: 0,
    max_lifetime: null,
    onnotice: () => {},
  });
  const take = () => conn`select pg_try_advisory_lock(${NODE_LOCK_NS}, hashtext(${node}))`;
  return {
    async ensure() {
      // A connection the server ended fails once; the retry opens a new one.
      await take().catch(() => take());
    },
    async release() {
      await conn.end({ timeout: 2 }).catch(() => {});
    },
  };
}

/**
 * SQL true when a running schedule (table `schedules`) has a live owner: a `running` run of it
 * whose node still holds its liveness lock. Only meaningful with `nodeLock` on PostgreSQL.
 */
function ownerAlive(sql: Sql | postgres.TransactionSql) {
  return sql`exists (
    select 1 from schedule_runs r join pg_locks l
      on l.locktype = 'advisory' and l.granted and l.classid = ${NODE_LOCK_NS}::oid
        and l.objid = hashtext(r.node)::oid and l.objsubid = 2
        and l.database = (select oid from pg_database where datname = current_database())
    where r.schedule_id = schedules.id and r.status = 'running')`;
}

/**
 * When the scheduler must next look: the earliest `next_run_at` of an enabled schedule that is not
 * running; for a running one, not before its run would count as abandoned (`staleMs`). With
 * `liveness` (PostgreSQL, every scheduler holding `nodeLock`), a running schedule whose owner is
 * gone is due at once, and one whose owner lives is looked at again within a second, so a node
 * that dies mid-run holds its schedule for about a second, not `staleMs`. Null when nothing is
 * scheduled.
 */
export async function nextDueAt(
  sql: Sql,
  staleMs: number,
  liveness = false,
): Promise<Date | null> {
  const stale = sql`running_since + make_interval(secs => ${staleMs / 1000})`;
  const [row] = await sql<{ due: Date | null }[]>`
    select min(case when running_since is null then next_run_at
      ${
    liveness
      ? sql`when not ${ownerAlive(sql)} then next_run_at
      else greatest(next_run_at, least(${stale}, now() + interval '1 second')) end)`
      : sql`else greatest(next_run_at, ${stale}) end)`
  }
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
    /**
     * The schedule's next time after `after`: the instant of the claim in the database (its
     * transaction's `now()`, the clock that decided the tick was due), so ticks that come due
     * while the claim runs are kept for the next claim instead of skipped by a later clock read.
     */
    next: (cron: string, tz: string, after: Date) => Date | null;
    /** Also reclaim a running schedule whose owner no longer holds its `nodeLock`. */
    liveness?: boolean;
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
        running_since: Date | null;
        claimed_at: Date;
      }[]
    >`
      select id, app_id, script_id, cron, timezone, next_run_at, running_since,
        now() as claimed_at
      from schedules
      where enabled and next_run_at <= now()
        and (running_since is null
             or running_since < now() - make_interval(secs => ${opts.staleMs / 1000})
             ${opts.liveness ? tx`or not ${ownerAlive(tx)}` : tx``})
      order by next_run_at
      limit ${opts.limit}
      for update skip locked`;
    const claimed: ClaimedRun[] = [];
    for (const s of due) {
      let next: Date | null;
      try {
        next = opts.next(s.cron, s.timezone, s.claimed_at);
      } catch {
        next = null;
      }
      if (s.running_since !== null) {
        // Taken over from a node that died mid-run (or a run past `staleMs`): its run ends here.
        await tx`
          update schedule_runs set status = 'error', finished_at = now(),
            error = 'abandoned: the node running it stopped (its schedule was taken over)'
          where schedule_id = ${s.id} and status = 'running'`;
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
