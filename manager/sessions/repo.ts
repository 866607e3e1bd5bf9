/** @module SQL for sessions: stored by token hash, with a sliding expiry. */
import type { Sql, Tx } from "../../common/db.ts";
import type { AppRole, InstanceRole } from "../authz.ts";

/** A live session and what authorization needs about its user. */
export interface SessionAuth {
  id: string;
  user_id: string;
  instance_role: InstanceRole;
  app_roles: Record<string, AppRole>;
  expires_at: Date;
  last_seen_at: Date;
}

/** Creates a session; returns its id and expiry. */
export async function insertSession(
  sql: Sql,
  s: { userId: string; tokenHash: string; ttlMs: number; userAgent: string | null; addr: string },
): Promise<{ id: string; expires_at: Date }> {
  const [row] = await sql<{ id: string; expires_at: Date }[]>`
    insert into sessions (user_id, token_hash, expires_at, user_agent, client_addr)
    values (${s.userId}, ${s.tokenHash}, now() + ${s.ttlMs}::float8 * interval '1 millisecond',
      ${s.userAgent}, ${s.addr})
    returning id, expires_at`;
  return row;
}

/** The unexpired session with this token hash whose user is active, with the user's roles. */
export async function findSessionAuth(sql: Sql, tokenHash: string): Promise<SessionAuth | null> {
  const [row] = await sql<SessionAuth[]>`
    select s.id, s.user_id, u.instance_role, s.expires_at, s.last_seen_at,
      coalesce((select json_object_agg(m.app_id, m.role) from app_members m
        where m.user_id = u.id), '{}'::json) as app_roles
    from sessions s join admin_users u on u.id = s.user_id
    where s.token_hash = ${tokenHash} and s.expires_at > now() and u.active`;
  return row ?? null;
}

/** Slides the expiry, at most once per `minIntervalMs`; returns the new expiry if it moved. */
export async function touchSession(
  sql: Sql,
  id: string,
  opts: { ttlMs: number; minIntervalMs: number },
): Promise<Date | null> {
  const [row] = await sql<{ expires_at: Date }[]>`
    update sessions set last_seen_at = now(),
      expires_at = now() + ${opts.ttlMs}::float8 * interval '1 millisecond'
    where id = ${id} and last_seen_at < now() - ${opts.minIntervalMs}::float8 * interval '1 millisecond'
    returning expires_at`;
  return row?.expires_at ?? null;
}

/** Ends one session. */
export async function deleteSession(sql: Sql, id: string): Promise<void> {
  await sql`delete from sessions where id = ${id}`;
}

/** Ends every session of a user (deactivation, password change). */
export async function deleteUserSessions(tx: Tx, userId: string): Promise<number> {
  return (await tx`delete from sessions where user_id = ${userId} returning id`).length;
}
