/**
 * @module SQL for app members. Grant and role change fold their existence check into the write
 * (`INSERT … ON CONFLICT DO NOTHING RETURNING`, `UPDATE … RETURNING`), so 409 and 404 stay true
 * under concurrent requests.
 */
import type { Sql, Tx } from "../../common/db.ts";
import type { AppRole } from "../authz.ts";

/** A membership with the member's name. */
export interface MemberRow {
  app_id: string;
  user_id: string;
  role: AppRole;
  email: string;
  display_name: string;
  created_at: Date;
}

/** The members of an app, by email. */
export async function listMembers(sql: Sql, appId: string): Promise<MemberRow[]> {
  return [
    ...await sql<MemberRow[]>`
      select m.app_id, m.user_id, m.role, u.email, u.display_name, m.created_at
      from app_members m join admin_users u on u.id = m.user_id
      where m.app_id = ${appId} order by lower(u.email)`,
  ];
}

/** Grants a role; null when the user is already a member (the existing role is untouched). */
export async function tryInsertMember(
  tx: Tx,
  m: { appId: string; userId: string; role: AppRole },
): Promise<{ role: AppRole } | null> {
  const [row] = await tx<{ role: AppRole }[]>`
    insert into app_members (app_id, user_id, role) values (${m.appId}, ${m.userId}, ${m.role})
    on conflict (app_id, user_id) do nothing returning role`;
  return row ?? null;
}

/** Changes a member's role; null when there is no such membership (never re-creates it). */
export async function updateMemberRole(
  tx: Tx,
  m: { appId: string; userId: string; role: AppRole },
): Promise<{ before: AppRole; role: AppRole } | null> {
  const [row] = await tx<{ before: AppRole; role: AppRole }[]>`
    update app_members m set role = ${m.role}
    from (select role from app_members where app_id = ${m.appId} and user_id = ${m.userId}) old
    where m.app_id = ${m.appId} and m.user_id = ${m.userId}
    returning old.role as before, m.role`;
  return row ?? null;
}

/** Revokes a membership; null when there was none. */
export async function deleteMember(
  tx: Tx,
  m: { appId: string; userId: string },
): Promise<{ role: AppRole } | null> {
  const [row] = await tx<{ role: AppRole }[]>`
    delete from app_members where app_id = ${m.appId} and user_id = ${m.userId} returning role`;
  return row ?? null;
}

/** A user's memberships with app slugs. */
export async function membershipsOf(
  sql: Sql,
  userId: string,
): Promise<{ app_id: string; app_slug: string; role: AppRole }[]> {
  return [
    ...await sql<{ app_id: string; app_slug: string; role: AppRole }[]>`
      select m.app_id, a.slug as app_slug, m.role from app_members m
      join apps a on a.id = m.app_id where m.user_id = ${userId} order by a.slug`,
  ];
}
