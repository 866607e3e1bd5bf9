/**
 * @module SQL for API keys. `ApiKeyRow` (what handlers see) carries no hash; only
 * `ApiKeyVerification`, read by the authenticator, does.
 */
import type { Sql, Tx } from "../../common/db.ts";
import type { AppRole, InstanceRole } from "../authz.ts";

/** An API key as handlers and the API see it. */
export interface ApiKeyRow {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  app_id: string | null;
  read_only: boolean;
  last_used_at: Date | null;
  expires_at: Date | null;
  created_at: Date;
}

/** What the authenticator needs to verify a key and build its principal. */
export interface ApiKeyVerification {
  id: string;
  keyHash: string;
  userId: string;
  instanceRole: InstanceRole;
  appRoles: Record<string, AppRole>;
  appId: string | null;
  readOnly: boolean;
  lastUsedAt: Date | null;
}

function columns(sql: Sql | Tx) {
  return sql`id, user_id, name, prefix, app_id, read_only, last_used_at, expires_at, created_at`;
}

/** Stores a new key. */
export async function insertApiKey(
  tx: Tx,
  k: {
    userId: string;
    name: string;
    prefix: string;
    keyHash: string;
    appId: string | null;
    readOnly: boolean;
    expiresAt: Date | null;
  },
): Promise<ApiKeyRow> {
  const [row] = await tx<ApiKeyRow[]>`
    insert into api_keys (user_id, name, prefix, key_hash, app_id, read_only, expires_at)
    values (${k.userId}, ${k.name}, ${k.prefix}, ${k.keyHash}, ${k.appId}, ${k.readOnly},
      ${k.expiresAt})
    returning ${columns(tx)}`;
  return row;
}

/** A user's keys, newest first. */
export async function listApiKeys(sql: Sql, userId: string): Promise<ApiKeyRow[]> {
  return [
    ...await sql<ApiKeyRow[]>`
      select ${columns(sql)} from api_keys where user_id = ${userId} order by created_at desc`,
  ];
}

/** The unexpired key with this prefix whose owner is active. */
export async function findKeyForVerification(
  sql: Sql,
  prefix: string,
): Promise<ApiKeyVerification | null> {
  const [row] = await sql<
    {
      id: string;
      key_hash: string;
      user_id: string;
      instance_role: InstanceRole;
      app_roles: Record<string, AppRole>;
      app_id: string | null;
      read_only: boolean;
      last_used_at: Date | null;
    }[]
  >`
    select k.id, k.key_hash, k.user_id, u.instance_role, k.app_id, k.read_only, k.last_used_at,
      coalesce((select json_object_agg(m.app_id, m.role) from app_members m
        where m.user_id = u.id), '{}'::json) as app_roles
    from api_keys k join admin_users u on u.id = k.user_id
    where k.prefix = ${prefix} and u.active and (k.expires_at is null or k.expires_at > now())`;
  if (!row) return null;
  return {
    id: row.id,
    keyHash: row.key_hash,
    userId: row.user_id,
    instanceRole: row.instance_role,
    appRoles: row.app_roles,
    appId: row.app_id,
    readOnly: row.read_only,
    lastUsedAt: row.last_used_at,
  };
}

/** Records use, at most once per `minIntervalMs` per key (no write on every request). */
export async function touchApiKey(sql: Sql, id: string, minIntervalMs: number): Promise<void> {
  await sql`
    update api_keys set last_used_at = now()
    where id = ${id} and (last_used_at is null
      or last_used_at < now() - ${minIntervalMs}::float8 * interval '1 millisecond')`;
}

/** Deletes one key of a user; null if the user has no such key. */
export async function deleteApiKey(tx: Tx, id: string, userId: string): Promise<ApiKeyRow | null> {
  const [row] = await tx<ApiKeyRow[]>`
    delete from api_keys where id = ${id} and user_id = ${userId} returning ${columns(tx)}`;
  return row ?? null;
}

/** Expires every still-valid key of a user (deactivation). */
export async function expireUserKeys(tx: Tx, userId: string): Promise<number> {
  const rows = await tx`
    update api_keys set expires_at = now()
    where user_id = ${userId} and (expires_at is null or expires_at > now()) returning id`;
  return rows.length;
}
