/**
 * @module `/api/v1/admin/schedules`: cron schedules and their runs — parse, call the schedules
 * service, respond. Read needs app viewer, write app editor.
 */
import { z } from "zod";
import type { ManagerDeps } from "../deps.ts";
import type { Routes } from "../endpoint.ts";
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listScheduleRuns,
  listSchedules,
  updateSchedule,
} from "./service.ts";

const cron = z.string().min(1).max(200);
const timezone = z.string().min(1).max(100);

/** `POST /schedules`. */
export const createScheduleBody = z.strictObject({
  app_id: z.string().min(1).max(200).default("default"),
  script_id: z.uuid(),
  cron,
  timezone: timezone.default("UTC"),
  enabled: z.boolean().default(true),
});

/** `PATCH /schedules/{id}`: any subset. */
export const updateScheduleBody = z.strictObject({
  cron: cron.optional(),
  timezone: timezone.optional(),
  enabled: z.boolean().optional(),
  script_id: z.uuid().optional(),
});

const listQuery = z.object({ app: z.string().optional() });
const runsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });
// Any text: an id that is not a UUID names no schedule (404, as for an unknown one).
const idParams = z.object({ id: z.string().meta({ format: "uuid" }) });

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

/** Binds `/schedules` under the admin router. */
export function bindSchedulesApi(r: Routes, deps: ManagerDeps): void {
  r.add({
    method: "get",
    path: "",
    summary: "List schedules (all visible apps, or one app)",
    action: "schedule.read",
    tag: "schedules",
    query: listQuery,
    responses: {
      200: { description: "Schedules", schema: z.object({ items: z.array(scheduleSchema) }) },
      404: { description: "No such app" },
    },
  }, async ({ p, query }, c) => c.json({ items: await listSchedules(deps, p, query.app) }));

  r.add({
    method: "post",
    path: "",
    summary: "Create a schedule that runs a script's scheduled() handler",
    action: "schedule.write",
    tag: "schedules",
    body: createScheduleBody,
    responses: {
      201: { description: "Created", schema: scheduleSchema },
      400: { description: "invalid_request, or invalid_cron with the reason" },
      404: { description: "app_not_found, or script_not_found in that app" },
    },
  }, async ({ p, body }, c) => c.json(await createSchedule(deps, p, body), 201));

  r.add({
    method: "get",
    path: "/{id}",
    summary: "Get a schedule",
    action: "schedule.read",
    tag: "schedules",
    params: idParams,
    responses: {
      200: { description: "Schedule", schema: scheduleSchema },
      404: { description: "No such" },
    },
  }, async ({ p, params }, c) => c.json(await getSchedule(deps, p, params.id)));

  r.add({
    method: "patch",
    path: "/{id}",
    summary: "Change a schedule's cron, time zone, script or enabled flag",
    action: "schedule.write",
    tag: "schedules",
    params: idParams,
    body: updateScheduleBody,
    responses: {
      200: { description: "Schedule", schema: scheduleSchema },
      400: { description: "invalid_request or invalid_cron" },
      404: { description: "schedule_not_found, or script_not_found in that app" },
    },
  }, async ({ p, params, body }, c) => c.json(await updateSchedule(deps, p, params.id, body)));

  r.add({
    method: "delete",
    path: "/{id}",
    summary: "Delete a schedule and its run records",
    action: "schedule.write",
    tag: "schedules",
    params: idParams,
    responses: { 204: { description: "Deleted" }, 404: { description: "schedule_not_found" } },
  }, async ({ p, params }, c) => {
    await deleteSchedule(deps, p, params.id);
    return c.body(null, 204);
  });

  r.add(
    {
      method: "get",
      path: "/{id}/runs",
      summary: "A schedule's newest runs",
      action: "schedule.read",
      tag: "schedules",
      params: idParams,
      query: runsQuery,
      responses: {
        200: { description: "Runs", schema: z.object({ items: z.array(runSchema) }) },
        404: { description: "schedule_not_found" },
      },
    },
    async ({ p, params, query }, c) =>
      c.json({ items: await listScheduleRuns(deps, p, params.id, query) }),
  );
}
