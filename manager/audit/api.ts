/**
 * @module `GET /api/v1/admin/audit?app=&actor=&since=&limit=`: the audit log, newest first, for
 * instance owners and admins, and for app admins about their app — parse, call the audit
 * service, respond.
 */
import { z } from "zod";
import type { ManagerDeps } from "../deps.ts";
import type { Routes } from "../endpoint.ts";
import { auditEntrySchema, itemsOf } from "../openapi_schemas.ts";
import { isoDateTime } from "../validate.ts";
import { readAudit } from "./service.ts";

/** `GET /audit`'s query: filters and page size (also the console's audit page filters). */
export const auditQuery = z.strictObject({
  app: z.string().min(1).max(200).optional(),
  actor: z.uuid().optional(),
  since: isoDateTime.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Binds `/audit` under the admin router. */
export function bindAuditApi(r: Routes, deps: ManagerDeps): void {
  r.add({
    method: "get",
    path: "",
    summary: "Read the audit log, newest first; without `app` it needs `audit.read` (instance " +
      "admin), with `app` `audit.read_app` (app admin)",
    // The weaker of the two, checked before the input is read; the service asks `audit.read`
    // when no app is given.
    action: "audit.read_app",
    actions: ["audit.read"],
    tag: "audit",
    query: auditQuery,
    responses: {
      200: { description: "Entries, newest first", schema: itemsOf(auditEntrySchema) },
    },
  }, async ({ p, query }, c) => c.json({ items: await readAudit(deps, p, query) }));
}
