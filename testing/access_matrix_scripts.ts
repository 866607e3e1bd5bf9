/** @module The authorization matrix's table, continued: scripts (versions, env, policy), schedules and logs. */
import { admin, type Endpoint, freshSchedule, freshScript, get } from "./access_matrix.ts";

/** Scripts (versions, env, policy), schedules and logs. */
export function scriptEndpoints(): Endpoint[] {
  return [
    {
      name: "PATCH script",
      ok: 200,
      make: (ctx) =>
        Promise.resolve({
          method: "PATCH",
          path: `${admin}/scripts/${ctx.scriptA}`,
          body: { description: `d${ctx.n()}` },
        }),
    },
    {
      name: "DELETE script",
      ok: 204,
      make: async (ctx) => ({
        method: "DELETE",
        path: `${admin}/scripts/${await freshScript(ctx)}`,
      }),
    },
    {
      name: "GET versions",
      ok: 200,
      make: (ctx) => get(`${admin}/scripts/${ctx.scriptA}/versions`),
    },
    {
      name: "GET version",
      ok: 200,
      make: (ctx) => get(`${admin}/scripts/${ctx.scriptA}/versions/1`),
    },
    {
      name: "POST version:activate",
      ok: 200,
      make: (ctx) =>
        Promise.resolve({
          method: "POST",
          path: `${admin}/scripts/${ctx.scriptA}/versions/1:activate`,
        }),
    },
    {
      name: "GET env",
      ok: 200,
      make: (ctx) => get(`${admin}/scripts/${ctx.scriptA}/env`),
    },
    {
      name: "PUT env",
      ok: 200,
      make: (ctx) =>
        Promise.resolve({
          method: "PUT",
          path: `${admin}/scripts/${ctx.scriptA}/env`,
          body: { vars: { [`V${ctx.n()}`]: "x" } },
        }),
    },
    {
      name: "GET policy",
      ok: 200,
      make: (ctx) => get(`${admin}/scripts/${ctx.scriptA}/policy`),
    },
    {
      name: "PUT policy",
      ok: 200,
      make: (ctx) =>
        Promise.resolve({
          method: "PUT",
          path: `${admin}/scripts/${ctx.scriptA}/policy`,
          body: { maxConcurrency: 8 },
        }),
    },
    {
      name: "GET schedules",
      ok: 200,
      make: () => get(`${admin}/schedules?app=app-a`),
    },
    {
      name: "POST schedule",
      ok: 201,
      make: (ctx) =>
        Promise.resolve({
          method: "POST",
          path: `${admin}/schedules`,
          body: { app_id: "app-a", script_id: ctx.scriptA, cron: "0 0 1 1 *" },
        }),
    },
    {
      name: "GET schedule",
      ok: 200,
      make: async (ctx) => get(`${admin}/schedules/${await freshSchedule(ctx)}`),
    },
    {
      name: "PATCH schedule",
      ok: 200,
      make: async (ctx) => ({
        method: "PATCH",
        path: `${admin}/schedules/${await freshSchedule(ctx)}`,
        body: { enabled: false },
      }),
    },
    {
      name: "DELETE schedule",
      ok: 204,
      make: async (ctx) => ({
        method: "DELETE",
        path: `${admin}/schedules/${await freshSchedule(ctx)}`,
      }),
    },
    {
      name: "GET schedule runs",
      ok: 200,
      make: async (ctx) => get(`${admin}/schedules/${await freshSchedule(ctx)}/runs`),
    },
    {
      name: "GET logs",
      ok: 200,
      make: () => get(`${admin}/apps/app-a/logs?limit=5`),
    },
    {
      name: "GET app stats",
      ok: 200,
      make: () => get(`${admin}/apps/app-a/stats`),
    },
  ];
}
