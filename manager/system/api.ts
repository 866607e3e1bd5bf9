/**
 * @module `GET /api/v1/admin/system`: the running platform (versions, database mode, uptime,
 * executors, log writer) for instance owners and admins — call the system service, respond.
 */
import { z } from "zod";
import type { ManagerDeps } from "../deps.ts";
import type { Routes } from "../endpoint.ts";
import { systemInfo } from "./service.ts";

const executorSchema = z.object({
  app_id: z.string(),
  app_slug: z.string().nullable(),
  kind: z.string(),
  pid: z.number().int(),
  rss_mb: z.number(),
  in_flight: z.number().int(),
  loaded_versions: z.number().int(),
  started_at: z.string(),
  last_used_at: z.string(),
});

const systemSchema = z.object({
  deno: z.string(),
  v8: z.string(),
  schema_version: z.number().int(),
  database: z.union([
    z.object({ mode: z.literal("embedded"), data_dir: z.string() }),
    z.object({
      mode: z.literal("postgres"),
      host: z.string(),
      port: z.number().int().nullable(),
      database: z.string().nullable(),
    }),
  ]).describe("Embedded PGlite with its data directory, or PostgreSQL's address (no credentials)"),
  started_at: z.string(),
  uptime_ms: z.number().int(),
  executors: z.array(executorSchema),
  log_writer: z.object({
    pending: z.number().int(),
    pending_bytes: z.number().int(),
    written: z.number().int(),
    dropped: z.number().int(),
    failed_batches: z.number().int(),
    last_error: z.object({ at: z.string(), message: z.string() }).nullable(),
  }).nullable(),
});

/** Binds `/system` under the admin router. */
export function bindSystemApi(r: Routes, deps: ManagerDeps): void {
  r.add({
    method: "get",
    path: "",
    summary: "The running platform: versions, database mode, uptime, live executors and the " +
      "execution-log writer's backlog and drops",
    action: "system.read",
    tag: "system",
    responses: {
      200: { description: "A snapshot", schema: systemSchema },
    },
  }, async ({ p }, c) => c.json(await systemInfo(deps, p)));
}
