/**
 * @module `GET /api/v1/admin/audit?app=&actor=&since=&limit=`: the audit log, newest first, for
 * instance owners and admins, and for app admins about their app.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { findApp } from "../apps/repo.ts";
import { type AuthEnv, authorize } from "../authn.ts";
import type { ManagerDeps } from "../deps.ts";
import type { EndpointDoc } from "../openapi_types.ts";
import { auditEntrySchema, itemsOf } from "../openapi_schemas.ts";
import { isoDateTime, parseInput } from "../validate.ts";
import { listAudit } from "./repo.ts";

const query = z.strictObject({
  app: z.string().min(1).max(200).optional(),
  actor: z.uuid().optional(),
  since: isoDateTime.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Binds `/audit` under the admin router. */
export function bindAuditApi(deps: ManagerDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();

  api.get("/", async (c) => {
    authorize(c, "me.read");
    const q = parseInput(query, c.req.query());
    let appId: string | null = null;
    if (q.app !== undefined) {
      const app = await findApp(deps.sql, q.app);
      const notFound = new ApiError("app_not_found", `No app ${q.app}`);
      if (!app) throw notFound;
      authorize(c, "audit.read_app", { appId: app.id, notFound });
      appId = app.id;
    } else {
      authorize(c, "audit.read");
    }
    const items = await listAudit(deps.sql, {
      appId,
      actorId: q.actor ?? null,
      since: q.since === undefined ? null : new Date(q.since),
      limit: q.limit,
    });
    return c.json({ items });
  });

  return api;
}

/** The OpenAPI description of `/audit`. */
export const auditDocs: EndpointDoc[] = [
  {
    method: "get",
    path: "/api/v1/admin/audit",
    summary: "Read the audit log, newest first; without `app` it needs `audit.read` (instance " +
      "admin), with `app` `audit.read_app` (app admin)",
    action: "audit.read",
    actions: ["audit.read_app"],
    tag: "audit",
    query,
    responses: {
      200: { description: "Entries, newest first", schema: itemsOf(auditEntrySchema) },
      403: { description: "`forbidden`" },
      404: { description: "`app_not_found`" },
    },
  },
];
