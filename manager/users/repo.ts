/** @module SQL for admin users. Rows returned to handlers never carry the password hash. */
import type { Sql, Tx } from "../../common/db.ts";
import type { InstanceRole } from "../authz.ts";

/** A user as handlers and the API see it (no password hash). */
export interface UserRow {
  id: string;
  email: string;
  display_name: string;
  instance_role: InstanceRole;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

/** What login needs: the user and the stored hash; used only by the login handler. */
export interface UserCredentials {
  user: UserRow;
  passwordHash: string | null;
}

/** The locked state around a role or active-flag change. */
export interface RoleGuardState {
  target: UserRow | null;
  /** Active owners other than the target. */
  otherOwners: number;
  /** Active admins or owners other than the target. */
  otherAdmins: number;
}

function columns(sql: Sql | Tx) {
  return sql`id, email, display_name, instance_role, active, created_at, updated_at`;
}

/** Inserts a user; null when the email (case-insensitively) is taken. */
export async function insertUser(
  tx: Sql | Tx,
  u: { email: string; displayName: string; passwordHash: string; instanceRole: InstanceRole },
): Promise<UserRow | null> {
  const [row] = await tx<UserRow[]>`
    insert into admin_users (email, display_name, password_hash, instance_role)
    values (${u.email}, ${u.displayName}, ${u.passwordHash}, ${u.instanceRole})
    on conflict ((lower(email))) do nothing
    returning ${columns(tx)}`;
  return row ?? null;
}

/** Number of users, active or not. */
export async function countUsers(sql: Sql | Tx): Promise<number> {
  const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from admin_users`;
  return n;
}

/** All users by email. */
export async function listUsers(sql: Sql): Promise<UserRow[]> {
  return [...await sql<UserRow[]>`select ${columns(sql)} from admin_users order by lower(email)`];
}

/** One user by id. */
export async function findUser(sql: Sql | Tx, id: string): Promise<UserRow | null> {
  const [row] = await sql<UserRow[]>`select ${columns(sql)} from admin_users where id = ${id}`;
  return row ?? null;
}

/** One user by email, case-insensitively. */
export async function findUserByEmail(sql: Sql | Tx, email: string): Promise<UserRow | null> {
  const [row] = await sql<UserRow[]>`
    select ${columns(sql)} from admin_users where lower(email) = lower(${email})`;
  return row ?? null;
}

/** The user with this email and the stored hash, for login only. */
export async function findCredentials(sql: Sql, email: string): Promise<UserCredentials | null> {
  const [row] = await sql<(UserRow & { password_hash: string | null })[]>`
    select ${columns(sql)}, password_hash from admin_users where lower(email) = lower(${email})`;
  if (!row) return null;
  const { password_hash, ...user } = row;
  return { user, passwordHash: password_hash };
}

/** The stored password hash of a user (null: none or no such user), to check a current password. */
export async function findPasswordHash(sql: Sql, id: string): Promise<string | null> {
  const [row] = await sql<{ password_hash: string | null }[]>`
    select password_hash from admin_users where id = ${id}`;
  return row?.password_hash ?? null;
}

/** Replaces a hash after a parameter change, only if it is still the one that was verified. */
export async function rehashPassword(
  sql: Sql,
  id: string,
  h: { from: string; to: string },
): Promise<void> {
  await sql`
    update admin_users set password_hash = ${h.to}
    where id = ${id} and password_hash = ${h.from}`;
}

/**
 * Locks the target and every active admin or owner (in id order, so concurrent changes cannot
 * deadlock) and counts the others. A concurrent demotion waits here and then sees the committed
 * result, which is what keeps the last-owner and last-admin guards true under concurrency.
 */
export async function lockForRoleChange(tx: Tx, id: string): Promise<RoleGuardState> {
  const rows = await tx<UserRow[]>`
    select ${columns(tx)} from admin_users
    where id = ${id} or (active and instance_role in ('owner', 'admin'))
    order by id for update`;
  const others = rows.filter((r) => r.id !== id && r.active);
  return {
    target: rows.find((r) => r.id === id) ?? null,
    otherOwners: others.filter((r) => r.instance_role === "owner").length,
    otherAdmins: others.filter((r) => r.instance_role !== "member").length,
  };
}

/** Applies a change to a user; a new password also moves `password_changed_at`. */
export async function updateUser(
  tx: Tx,
  id: string,
  p: { displayName?: string; instanceRole?: InstanceRole; active?: boolean; passwordHash?: string },
): Promise<UserRow | null> {
  const [row] = await tx<UserRow[]>`
    update admin_users set
      display_name = coalesce(${p.displayName ?? null}, display_name),
      instance_role = coalesce(${p.instanceRole ?? null}, instance_role),
      active = coalesce(${p.active ?? null}::boolean, active),
      password_hash = coalesce(${p.passwordHash ?? null}, password_hash),
      password_changed_at = case when ${p.passwordHash !== undefined}::boolean then now()
        else password_changed_at end,
      updated_at = now()
    where id = ${id}
    returning ${columns(tx)}`;
  return row ?? null;
}

/** Deletes a user (sessions, keys and memberships cascade). */
export async function deleteUser(tx: Tx, id: string): Promise<boolean> {
  return (await tx`delete from admin_users where id = ${id} returning id`).length > 0;
}
