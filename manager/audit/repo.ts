/** @module SQL for the audit log: written inside the transaction of the change it records. */
import type { Sql, Tx } from "../../common/db.ts";

/** One change: who (user and key), what, and the state before and after (no secrets). */
export interface AuditEntry {
  actorUserId: string | null;
  actorKeyId: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  appId: string | null;
  before: unknown;
  after: unknown;
}

/** An audit row as the API returns it. */
export interface AuditRow {
  id: string;
  at: Date;
  actor_user_id: string | null;
  actor_key_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  app_id: string | null;
  before: unknown;
  after: unknown;
}

/** Appends an entry; call it with the transaction that makes the change. */
export async function writeAudit(tx: Tx, e: AuditEntry): Promise<void> {
  await tx`
    insert into audit_log (actor_user_id, actor_key_id, action, resource_type, resource_id, app_id,
      before, after)
    values (${e.actorUserId}, ${e.actorKeyId}, ${e.action}, ${e.resourceType}, ${e.resourceId},
      ${e.appId}, ${e.before === undefined ? null : tx.json(toJson(e.before))},
      ${e.after === undefined ? null : tx.json(toJson(e.after))})`;
}

/** Newest entries first, filtered by app, actor and time. */
export async function listAudit(
  sql: Sql,
  f: { appId: string | null; actorId: string | null; since: Date | null; limit: number },
): Promise<AuditRow[]> {
  return [
    ...await sql<AuditRow[]>`
      select id::text, at, actor_user_id, actor_key_id, action, resource_type, resource_id, app_id,
        before, after
      from audit_log
      where ${f.appId === null ? sql`true` : sql`app_id = ${f.appId}`}
        and ${f.actorId === null ? sql`true` : sql`actor_user_id = ${f.actorId}`}
        and ${f.since === null ? sql`true` : sql`at >= ${f.since}`}
      order by at desc, id desc limit ${f.limit}`,
  ];
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** Dates to ISO strings, undefined dropped: what `tx.json` accepts. */
function toJson(v: unknown): Json {
  return JSON.parse(JSON.stringify(v ?? null));
}

/** The actor columns of an entry made by `p` (null for the system: bootstrap and setup). */
export function actorOf(
  p: { userId: string; key?: { id: string } } | null,
): Pick<AuditEntry, "actorUserId" | "actorKeyId"> {
  return { actorUserId: p?.userId ?? null, actorKeyId: p?.key?.id ?? null };
}
