/**
 * @module The schedules service: list, create, read, change and delete cron schedules and read
 * their runs. Read needs app viewer, write app editor. Every change sets the next run time,
 * is audited and notifies routing, so the scheduler on every node re-arms. No HTTP here.
 */
import { ApiError } from "../../common/errors.ts";
import { appFor } from "../apps/service.ts";
import { UUID_SHAPE } from "../apps/slugs.ts";
import { recordChange } from "../audit/service.ts";
import { assertCan, type Principal, visibleAppIds } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import { nextRunAfter, parseCron } from "../../orchestrator/mod.ts";
import {
  deleteSchedule as deleteScheduleRow,
  findSchedule,
  insertSchedule,
  listRuns,
  listSchedules as listScheduleRows,
  type RunRow,
  type ScheduleRow,
  scriptInApp,
  updateSchedule as updateScheduleRow,
} from "./repo.ts";

type Deps = Pick<ManagerDeps, "sql" | "routing">;

/** The schedules of one app (by id or slug), or of every app the caller can see. */
export async function listSchedules(
  deps: Pick<Deps, "sql">,
  p: Principal,
  appRef?: string,
): Promise<ScheduleRow[]> {
  if (!appRef) return await listScheduleRows(deps.sql, visibleAppIds(p));
  const app = await appFor(deps, p, appRef, "schedule.read");
  return await listScheduleRows(deps.sql, [app.id]);
}

/** A new schedule running a script of the app on its cron expression. */
export async function createSchedule(
  deps: Deps,
  p: Principal,
  input: { app_id: string; script_id: string; cron: string; timezone: string; enabled: boolean },
): Promise<ScheduleRow> {
  const app = await appFor(deps, p, input.app_id, "schedule.write");
  const nextRunAt = nextRun(input.cron, input.timezone);
  const row = await deps.sql.begin(async (tx) => {
    const row = await insertSchedule(tx, {
      appId: app.id,
      scriptId: input.script_id,
      cron: input.cron.trim(),
      timezone: input.timezone,
      enabled: input.enabled,
      nextRunAt,
    });
    if (!row) throw scriptNotInApp(input.script_id, input.app_id);
    await recordChange(tx, p, {
      action: "schedule.create",
      resourceId: row.id,
      appId: app.id,
      before: null,
      after: auditView(row),
    });
    return row;
  });
  await deps.routing.notifyChanged();
  return row;
}

/** One schedule. */
export async function getSchedule(
  deps: Pick<Deps, "sql">,
  p: Principal,
  id: string,
): Promise<ScheduleRow> {
  return await scheduleFor(deps, p, id, "schedule.read");
}

/** Changes a schedule's cron, time zone, script or enabled flag. */
export async function updateSchedule(
  deps: Deps,
  p: Principal,
  id: string,
  input: { cron?: string; timezone?: string; enabled?: boolean; script_id?: string },
): Promise<ScheduleRow> {
  const s = await scheduleFor(deps, p, id, "schedule.write");
  const row = await deps.sql.begin(async (tx) => {
    const current = await findSchedule(tx, s.id, { lock: true });
    if (!current) throw scheduleNotFound(s.id);
    const next = {
      scriptId: input.script_id ?? current.script_id,
      cron: input.cron?.trim() ?? current.cron,
      timezone: input.timezone ?? current.timezone,
      enabled: input.enabled ?? current.enabled,
    };
    const nextRunAt = nextRun(next.cron, next.timezone);
    if (next.scriptId !== current.script_id) {
      if (!await scriptInApp(tx, next.scriptId, current.app_id)) {
        throw scriptNotInApp(next.scriptId, current.app_id);
      }
    }
    const row = await updateScheduleRow(tx, s.id, { ...next, nextRunAt });
    if (!row) throw scheduleNotFound(s.id);
    await recordChange(tx, p, {
      action: "schedule.update",
      resourceId: s.id,
      appId: s.app_id,
      before: auditView(current),
      after: auditView(row),
    });
    return row;
  });
  await deps.routing.notifyChanged();
  return row;
}

/** Deletes a schedule and its run records. */
export async function deleteSchedule(deps: Deps, p: Principal, id: string): Promise<void> {
  const s = await scheduleFor(deps, p, id, "schedule.write");
  await deps.sql.begin(async (tx) => {
    const gone = await deleteScheduleRow(tx, s.id);
    if (!gone) throw scheduleNotFound(s.id);
    await recordChange(tx, p, {
      action: "schedule.delete",
      resourceId: s.id,
      appId: s.app_id,
      before: auditView(gone),
      after: null,
    });
  });
  await deps.routing.notifyChanged();
}

/** A schedule's newest runs. */
export async function listScheduleRuns(
  deps: Pick<Deps, "sql">,
  p: Principal,
  id: string,
  opts: { limit: number },
): Promise<RunRow[]> {
  const s = await scheduleFor(deps, p, id, "schedule.read");
  return await listRuns(deps.sql, s.id, opts.limit);
}

/** The schedule, when the caller may do `action` on it (one of an invisible app is not found). */
async function scheduleFor(
  deps: Pick<Deps, "sql">,
  p: Principal,
  id: string,
  action: "schedule.read" | "schedule.write",
): Promise<ScheduleRow> {
  const s = UUID_SHAPE.test(id) ? await findSchedule(deps.sql, id) : null;
  if (!s) throw scheduleNotFound(id);
  assertCan(p, action, { appId: s.app_id, notFound: scheduleNotFound(id) });
  return s;
}

/** Validates cron and time zone (400 `invalid_cron` with the reason) and returns the next run. */
function nextRun(expr: string, tz: string): Date | null {
  parseCron(expr.trim(), tz);
  return nextRunAfter(expr.trim(), tz, new Date());
}

function auditView(s: ScheduleRow) {
  return { script_id: s.script_id, cron: s.cron, timezone: s.timezone, enabled: s.enabled };
}

function scheduleNotFound(id: string) {
  return new ApiError("schedule_not_found", `No schedule ${id}`);
}

function scriptNotInApp(scriptId: string, app: string) {
  return new ApiError("script_not_found", `No script ${scriptId} in app ${app}`);
}
