/**
 * @module The API keys service: a signed-in user lists, creates and deletes their own keys (only
 * with a session, never with a key). The full key exists only in the creation result; only its
 * SHA-256 is stored. No HTTP here.
 */
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { findApp } from "../apps/repo.ts";
import { recordChange } from "../audit/service.ts";
import { assertCan, can, type Principal } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import { newApiKey, tokenHash } from "../tokens.ts";
import {
  type ApiKeyRow,
  deleteApiKey as deleteApiKeyRow,
  insertApiKey,
  listApiKeys as listApiKeyRows,
} from "./repo.ts";

type Deps = Pick<ManagerDeps, "sql">;

/** A new key: optionally narrowed to one app (id or slug) and read-only, optionally expiring. */
export interface NewApiKey {
  name: string;
  app_id: string | null;
  read_only: boolean;
  /** An ISO timestamp in the future, or null for a key that does not expire. */
  expires_at: string | null;
}

/** The caller's keys (never the secrets). */
export async function listApiKeys(deps: Deps, p: Principal): Promise<ApiKeyRow[]> {
  assertCan(p, "api_key.manage");
  return await listApiKeyRows(deps.sql, p.userId);
}

/** Creates a key for the caller; `key`, the full secret, is returned only here. */
export async function createApiKey(
  deps: Deps,
  p: Principal,
  input: NewApiKey,
): Promise<ApiKeyRow & { key: string }> {
  assertCan(p, "api_key.manage");
  const expiresAt = input.expires_at === null ? null : new Date(input.expires_at);
  if (expiresAt !== null && expiresAt.getTime() <= Date.now()) {
    throw new ApiError("invalid_request", "expires_at must be in the future");
  }
  // A key cannot be narrowed to an app its owner cannot see.
  const app = input.app_id === null ? null : await findApp(deps.sql, input.app_id);
  if (input.app_id !== null && (!app || !can(p, "app.read", { appId: app.id }))) {
    throw new ApiError("app_not_found", `No app ${input.app_id}`);
  }
  const generated = newApiKey();
  const keyHash = await tokenHash(generated.secret);
  const row = await deps.sql.begin(async (tx) => {
    const row = await insertApiKey(tx, {
      userId: p.userId,
      name: input.name,
      prefix: generated.prefix,
      keyHash,
      appId: app?.id ?? null,
      readOnly: input.read_only,
      expiresAt,
    });
    await recordChange(tx, p, {
      action: "api_key.create",
      resourceId: row.id,
      appId: row.app_id,
      before: null,
      after: row,
    });
    return row;
  });
  return { ...row, key: generated.key };
}

/** Deletes one of the caller's keys (404 `api_key_not_found` for anyone else's). */
export async function deleteApiKey(deps: Deps, p: Principal, id: string): Promise<void> {
  assertCan(p, "api_key.manage");
  const gone = z.uuid().safeParse(id).success &&
    await deps.sql.begin(async (tx) => {
      const row = await deleteApiKeyRow(tx, id, p.userId);
      if (!row) return false;
      await recordChange(tx, p, {
        action: "api_key.delete",
        resourceId: id,
        appId: row.app_id,
        before: row,
        after: null,
      });
      return true;
    });
  if (!gone) throw new ApiError("api_key_not_found", `No API key ${id}`);
}
