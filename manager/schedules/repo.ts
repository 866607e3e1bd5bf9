/** @module SQL for schedules as the API manages them (the scheduler's claims live in orchestrator/cron/). */
import type { Sql, Tx } from "../../common/db.ts";

/** A schedule as returned by the API. */
export interface ScheduleRow {
  id: string;
  app_id: string;
  script_id: string;
  cron: string;
  timezone: string;
  enabled: boolean;
  next_run_at: Date | null;
  last_run_at: Date | null;
  running_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** One run of a schedule. */
export interface RunRow {
  id: string;
  schedule_id: string;
  scheduled_for: Date;
  started_at: Date;
  finished_at: Date | null;
  status: "running" | "ok" | "error";
  error: string | null;
  node: string | null;
}

const columns = (sql: Sql | Tx) =>
  sql`id, app_id, script_id, cron, timezone, enabled, next_run_at, last_run_at, running_since,
    created_at, updated_at`;

/** Schedules of the given apps (null: all), oldest first. */
export async function listSchedules(sql: Sql, appIds: string[] | null): Promise<ScheduleRow[]> {
  return [
    ...await sql<ScheduleRow[]>`
      select ${columns(sql)} from schedules
      where ${appIds === null ? sql`true` : sql`app_id = any(${appIds}::uuid[])`}
      order by created_at, id`,
  ];
}

/** One schedule by id (`lock`: for update, inside a transaction). */
export async function findSchedule(
  sql: Sql | Tx,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<ScheduleRow | null> {
  const [row] = opts.lock
    ? await sql<ScheduleRow[]>`select ${columns(sql)} from schedules where id = ${id} for update`
    : await sql<ScheduleRow[]>`select ${columns(sql)} from schedules where id = ${id}`;
  return row ?? null;
}

/** Creates a schedule for a script of that app; null when the script is not (or no longer) there. */
export async function insertSchedule(
  tx: Tx,
  input: {
    appId: string;
    scriptId: string;
    cron: string;
    timezone: string;
    enabled: boolean;
    nextRunAt: Date | null;
  },
): Promise<ScheduleRow | null> {
  const [row] = await tx<ScheduleRow[]>`
    insert into schedules (app_id, script_id, cron, timezone, enabled, next_run_at)
    select ${input.appId}, s.id, ${input.cron}, ${input.timezone}, ${input.enabled},
      ${input.nextRunAt}
    from scripts s where s.id = ${input.scriptId} and s.app_id = ${input.appId}
    for share of s
    returning ${columns(tx)}`;
  return row ?? null;
}

/** Whether a script exists in an app (locked against deletion until the transaction ends). */
export async function scriptInApp(tx: Tx, scriptId: string, appId: string): Promise<boolean> {
  const [row] = await tx`
    select 1 from scripts where id = ${scriptId} and app_id = ${appId} for share`;
  return row !== undefined;
}

/** Writes a schedule's new settings and next run time. */
export async function updateSchedule(
  tx: Tx,
  id: string,
  s: {
    scriptId: string;
    cron: string;
    timezone: string;
    enabled: boolean;
    nextRunAt: Date | null;
  },
): Promise<ScheduleRow | null> {
  const [row] = await tx<ScheduleRow[]>`
    update schedules set script_id = ${s.scriptId}, cron = ${s.cron}, timezone = ${s.timezone},
      enabled = ${s.enabled}, next_run_at = ${s.nextRunAt}, updated_at = now()
    where id = ${id} returning ${columns(tx)}`;
  return row ?? null;
}

/** Deletes a schedule (its runs cascade); the deleted row, or null when already gone. */
export async function deleteSchedule(tx: Tx, id: string): Promise<ScheduleRow | null> {
  const [row] = await tx<ScheduleRow[]>`
    delete from schedules where id = ${id} returning ${columns(tx)}`;
  return row ?? null;
}

/** The newest runs of a schedule. */
export async function listRuns(sql: Sql, scheduleId: string, limit: number): Promise<RunRow[]> {
  return [
    ...await sql<RunRow[]>`
      select id::text, schedule_id, scheduled_for, started_at, finished_at, status, error, node
      from schedule_runs where schedule_id = ${scheduleId}
      order by scheduled_for desc, id desc limit ${limit}`,
  ];
}
