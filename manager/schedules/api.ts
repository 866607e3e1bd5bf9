/**
 * @module REST endpoints for cron schedules: read needs app viewer, write app editor. Every change
 * sets the next run time and notifies routing, so the scheduler on every node re-arms.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { findApp } from "../apps/repo.ts";
import { actorOf, writeAudit } from "../audit/repo.ts";
import { type AuthEnv, authorize } from "../authn.ts";
import { visibleAppIds } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import type { EndpointDoc } from "../openapi_types.ts";
import { nextRunAfter, parseCron } from "../scheduler/cron.ts";
import { jsonBody, parseInput } from "../validate.ts";
import {
  deleteSchedule,
  findSchedule,
  insertSchedule,
  listRuns,
  listSchedules,
  type ScheduleRow,
  scriptInApp,
  updateSchedule,
} from "./repo.ts";

const cron = z.string().min(1).max(200);
const timezone = z.string().min(1).max(100);
const createSchedule = z.strictObject({
  app_id: z.string().min(1).max(200).default("default"),
  script_id: z.uuid(),
  cron,
  timezone: timezone.default("UTC"),
  enabled: z.boolean().default(true),
});
const patchSchedule = z.strictObject({
  cron: cron.optional(),
  timezone: timezone.optional(),
  enabled: z.boolean().optional(),
  script_id: z.uuid().optional(),
});
const listQuery = z.object({ app: z.string().optional() });
const runsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });
const idParams = z.object({ id: z.uuid() });

const scheduleSchema = z.object({
  id: z.uuid(),
  app_id: z.uuid(),
  script_id: z.uuid(),
  cron: z.string(),
  timezone: z.string(),
  enabled: z.boolean(),
  next_run_at: z.string().nullable(),
  last_run_at: z.string().nullable(),
  running_since: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
const runSchema = z.object({
  id: z.string(),
  schedule_id: z.uuid(),
  scheduled_for: z.string(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  status: z.enum(["running", "ok", "error"]),
  error: z.string().nullable(),
  node: z.string().nullable(),
});
const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

/** Binds `/schedules` under the admin router. */
export function bindSchedulesApi(deps: ManagerDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();

  const scheduleFor = async (c: Parameters<typeof authorize>[0], action: "read" | "write") => {
    authorize(c, "me.read");
    const id = c.req.param("id") ?? "";
    const s = idParams.safeParse({ id }).success ? await findSchedule(deps.sql, id) : null;
    if (!s) throw scheduleNotFound(id);
    const p = authorize(c, action === "read" ? "schedule.read" : "schedule.write", {
      appId: s.app_id,
      notFound: scheduleNotFound(id),
    });
    return { s, p };
  };

  api.get("/", async (c) => {
    const p = authorize(c, "me.read");
    const appParam = parseInput(listQuery, c.req.query()).app;
    if (!appParam) return c.json({ items: await listSchedules(deps.sql, visibleAppIds(p)) });
    const app = await findApp(deps.sql, appParam);
    const notFound = appNotFound(appParam);
    if (!app) throw notFound;
    authorize(c, "schedule.read", { appId: app.id, notFound });
    return c.json({ items: await listSchedules(deps.sql, [app.id]) });
  });

  api.post("/", async (c) => {
    authorize(c, "me.read");
    const input = await jsonBody(c, createSchedule);
    const app = await findApp(deps.sql, input.app_id);
    const notFound = appNotFound(input.app_id);
    if (!app) throw notFound;
    const p = authorize(c, "schedule.write", { appId: app.id, notFound });
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
      await writeAudit(tx, {
        ...actorOf(p),
        action: "schedule.create",
        resourceType: "schedule",
        resourceId: row.id,
        appId: app.id,
        before: null,
        after: auditView(row),
      });
      return row;
    });
    await deps.routing.notifyChanged();
    return c.json(row, 201);
  });

  api.get("/:id", async (c) => {
    const { s } = await scheduleFor(c, "read");
    return c.json(s);
  });

  api.patch("/:id", async (c) => {
    const { s, p } = await scheduleFor(c, "write");
    const input = await jsonBody(c, patchSchedule);
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
      const row = await updateSchedule(tx, s.id, { ...next, nextRunAt });
      if (!row) throw scheduleNotFound(s.id);
      await writeAudit(tx, {
        ...actorOf(p),
        action: "schedule.update",
        resourceType: "schedule",
        resourceId: s.id,
        appId: s.app_id,
        before: auditView(current),
        after: auditView(row),
      });
      return row;
    });
    await deps.routing.notifyChanged();
    return c.json(row);
  });

  api.delete("/:id", async (c) => {
    const { s, p } = await scheduleFor(c, "write");
    await deps.sql.begin(async (tx) => {
      const gone = await deleteSchedule(tx, s.id);
      if (!gone) throw scheduleNotFound(s.id);
      await writeAudit(tx, {
        ...actorOf(p),
        action: "schedule.delete",
        resourceType: "schedule",
        resourceId: s.id,
        appId: s.app_id,
        before: auditView(gone),
        after: null,
      });
    });
    await deps.routing.notifyChanged();
    return c.body(null, 204);
  });

  api.get("/:id/runs", async (c) => {
    const { s } = await scheduleFor(c, "read");
    const { limit } = parseInput(runsQuery, c.req.query());
    return c.json({ items: await listRuns(deps.sql, s.id, limit) });
  });

  return api;
}

/** Validates cron and time zone (400 `invalid_cron` with the reason) and returns the next run. */
function nextRun(expr: string, tz: string): Date | null {
  parseCron(expr.trim(), tz);
  return nextRunAfter(expr.trim(), tz, new Date());
}

function auditView(s: ScheduleRow) {
  return { script_id: s.script_id, cron: s.cron, timezone: s.timezone, enabled: s.enabled };
}

function appNotFound(ref: string) {
  return new ApiError("app_not_found", `No app ${ref}`);
}

function scheduleNotFound(id: string) {
  return new ApiError("schedule_not_found", `No schedule ${id}`);
}

function scriptNotInApp(scriptId: string, app: string) {
  return new ApiError("script_not_found", `No script ${scriptId} in app ${app}`);
}

const P = "/api/v1/admin/schedules";
const err = (description: string) => ({ description, schema: errorSchema });

/** Every endpoint of this router, for the OpenAPI document. */
export const schedulesDocs: EndpointDoc[] = [
  {
    method: "get",
    path: P,
    summary: "List schedules (all visible apps, or one app)",
    action: "schedule.read",
    tag: "schedules",
    query: listQuery,
    responses: {
      200: { description: "Schedules", schema: z.object({ items: z.array(scheduleSchema) }) },
      404: err("No such app"),
    },
  },
  {
    method: "post",
    path: P,
    summary: "Create a schedule that runs a script's scheduled() handler",
    action: "schedule.write",
    tag: "schedules",
    body: createSchedule,
    responses: {
      201: { description: "Created", schema: scheduleSchema },
      400: err("invalid_request, or invalid_cron with the reason"),
      404: err("app_not_found, or script_not_found in that app"),
    },
  },
  {
    method: "get",
    path: `${P}/{id}`,
    summary: "Get a schedule",
    action: "schedule.read",
    tag: "schedules",
    params: idParams,
    responses: { 200: { description: "Schedule", schema: scheduleSchema }, 404: err("No such") },
  },
  {
    method: "patch",
    path: `${P}/{id}`,
    summary: "Change a schedule's cron, time zone, script or enabled flag",
    action: "schedule.write",
    tag: "schedules",
    params: idParams,
    body: patchSchedule,
    responses: {
      200: { description: "Schedule", schema: scheduleSchema },
      400: err("invalid_request or invalid_cron"),
      404: err("schedule_not_found, or script_not_found in that app"),
    },
  },
  {
    method: "delete",
    path: `${P}/{id}`,
    summary: "Delete a schedule and its run records",
    action: "schedule.write",
    tag: "schedules",
    params: idParams,
    responses: { 204: { description: "Deleted" }, 404: err("schedule_not_found") },
  },
  {
    method: "get",
    path: `${P}/{id}/runs`,
    summary: "A schedule's newest runs",
    action: "schedule.read",
    tag: "schedules",
    params: idParams,
    query: runsQuery,
    responses: {
      200: { description: "Runs", schema: z.object({ items: z.array(runSchema) }) },
      404: err("schedule_not_found"),
    },
  },
];
