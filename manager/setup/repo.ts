/** @module SQL for first-run setup: one-time setup tokens kept (hashed) in `picloud_meta`. */
import type { Sql, Tx } from "../../common/db.ts";

/** Any 64-bit number unique to first-owner creation, shared by every process. */
const SETUP_LOCK_KEY = 7_321_004_212;

/** Serializes first-owner creation across processes for the rest of the transaction. */
export async function lockSetup(tx: Tx): Promise<void> {
  await tx`select pg_advisory_xact_lock(${SETUP_LOCK_KEY})`;
}

/** Stores a setup token's hash with its expiry (each starting process may add one). */
export async function insertSetupToken(
  sql: Sql,
  t: { tokenHash: string; ttlMs: number },
): Promise<void> {
  const expiresAt = new Date(Date.now() + t.ttlMs).toISOString();
  await sql`
    insert into picloud_meta (key, value)
    values (${"setup_token:" + t.tokenHash}, ${sql.json({ expires_at: expiresAt })})
    on conflict (key) do update set value = excluded.value, updated_at = now()`;
}

/** True when the token hash is stored and unexpired. */
export async function setupTokenValid(tx: Tx, tokenHash: string): Promise<boolean> {
  const rows = await tx`
    select 1 from picloud_meta
    where key = ${"setup_token:" + tokenHash} and (value->>'expires_at')::timestamptz > now()`;
  return rows.length > 0;
}

/** Removes every setup token (the first owner exists). */
export async function deleteSetupTokens(tx: Sql | Tx): Promise<void> {
  await tx`delete from picloud_meta where key like 'setup_token:%'`;
}
