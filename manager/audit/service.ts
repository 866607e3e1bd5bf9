/**
 * @module The audit service: the audit log, newest first — the whole log for instance owners and
 * admins (`audit.read`), one app's entries for that app's admins (`audit.read_app`). No HTTP here.
 */
import { appFor } from "../apps/service.ts";
import { assertCan, type Principal } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import { type AuditRow, listAudit } from "./repo.ts";

/** Entries newest first, filtered by app (id or slug), acting user and time. */
export async function readAudit(
  deps: Pick<ManagerDeps, "sql">,
  p: Principal,
  q: { app?: string; actor?: string; since?: string; limit: number },
): Promise<AuditRow[]> {
  let appId: string | null = null;
  if (q.app !== undefined) appId = (await appFor(deps, p, q.app, "audit.read_app")).id;
  else assertCan(p, "audit.read");
  return await listAudit(deps.sql, {
    appId,
    actorId: q.actor ?? null,
    since: q.since === undefined ? null : new Date(q.since),
    limit: q.limit,
  });
}
