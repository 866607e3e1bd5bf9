/**
 * @module The audit service: every service records its changes through `recordChange`; reading
 * the log, newest first — the whole log for instance owners and admins (`audit.read`), one app's
 * entries for that app's admins (`audit.read_app`). No HTTP here.
 */
import { appFor } from "../apps/service.ts";
import { assertCan, type Principal } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import type { Tx } from "../../common/db.ts";
import { actorOf, type AuditRow, listAudit, writeAudit } from "./repo.ts";

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

/** One change to record: the action (`<resource>.<verb>`), what it touched, before and after. */
export interface Change {
  action: string;
  /** Defaults to the action's resource (`route.update` → `route`). */
  resourceType?: string;
  resourceId: string | null;
  appId: string | null;
  before: unknown;
  after: unknown;
}

/** Records a change by `p` in the audit log, inside the transaction that makes it. */
export async function recordChange(tx: Tx, p: Principal | null, change: Change): Promise<void> {
  const { resourceType = change.action.slice(0, change.action.indexOf(".")), ...rest } = change;
  await writeAudit(tx, { ...actorOf(p), resourceType, ...rest });
}
