/**
 * @module `/api/v1/admin/api-keys`: a signed-in user's keys. The full key is returned once, at
 * creation; only its SHA-256 is stored.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { findApp } from "../apps/repo.ts";
import { actorOf, writeAudit } from "../audit/repo.ts";
import { type AuthEnv, authorize } from "../authn.ts";
import { can } from "../authz.ts";
import type { IdentityDeps } from "../deps.ts";
import { newApiKey, tokenHash } from "../tokens.ts";
import type { EndpointDoc } from "../openapi_types.ts";
import { apiKeyCreatedSchema, apiKeySchema, itemsOf } from "../openapi_schemas.ts";
import { isoDateTime, jsonBody, lineText } from "../validate.ts";
import { deleteApiKey, insertApiKey, listApiKeys } from "./repo.ts";

const createKey = z.strictObject({
  name: lineText({ trim: true, minChars: 1, maxChars: 200 }),
  app_id: z.string().min(1).max(200).nullable().default(null),
  read_only: z.boolean().default(false),
  expires_at: isoDateTime.nullable().default(null),
});

/** Binds `/api-keys` under the admin router. */
export function bindApiKeysApi(deps: IdentityDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();

  api.get("/", async (c) => {
    const p = authorize(c, "api_key.manage");
    return c.json({ items: await listApiKeys(deps.sql, p.userId) });
  });

  api.post("/", async (c) => {
    const p = authorize(c, "api_key.manage");
    const input = await jsonBody(c, createKey);
    const expiresAt = input.expires_at === null ? null : new Date(input.expires_at);
    if (expiresAt !== null && expiresAt.getTime() <= Date.now()) {
      throw new ApiError("invalid_request", "expires_at must be in the future");
    }
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
      await writeAudit(tx, {
        ...actorOf(p),
        action: "api_key.create",
        resourceType: "api_key",
        resourceId: row.id,
        appId: row.app_id,
        before: null,
        after: row,
      });
      return row;
    });
    return c.json({ ...row, key: generated.key }, 201);
  });

  api.delete("/:id", async (c) => {
    const p = authorize(c, "api_key.manage");
    const id = c.req.param("id");
    const gone = z.uuid().safeParse(id).success &&
      await deps.sql.begin(async (tx) => {
        const row = await deleteApiKey(tx, id, p.userId);
        if (!row) return false;
        await writeAudit(tx, {
          ...actorOf(p),
          action: "api_key.delete",
          resourceType: "api_key",
          resourceId: id,
          appId: row.app_id,
          before: row,
          after: null,
        });
        return true;
      });
    if (!gone) throw new ApiError("api_key_not_found", `No API key ${id}`);
    return c.body(null, 204);
  });

  return api;
}

const sessionOnly = { description: "`session_required`: API keys cannot manage API keys" };

/** The OpenAPI description of `/api-keys`. */
export const apiKeysDocs: EndpointDoc[] = [
  {
    method: "get",
    path: "/api/v1/admin/api-keys",
    summary: "List the caller's API keys (never the secrets)",
    action: "api_key.manage",
    tag: "api-keys",
    responses: {
      200: { description: "The caller's keys", schema: itemsOf(apiKeySchema) },
      403: sessionOnly,
    },
  },
  {
    method: "post",
    path: "/api/v1/admin/api-keys",
    summary: "Create an API key, optionally narrowed to one app and read-only; the key is " +
      "returned once",
    action: "api_key.manage",
    tag: "api-keys",
    body: createKey,
    responses: {
      201: { description: "Created; `key` is shown only now", schema: apiKeyCreatedSchema },
      403: sessionOnly,
      404: { description: "`app_not_found`" },
    },
  },
  {
    method: "delete",
    path: "/api/v1/admin/api-keys/{id}",
    summary: "Delete one of the caller's API keys",
    action: "api_key.manage",
    tag: "api-keys",
    params: z.object({ id: z.uuid() }),
    responses: {
      204: { description: "Deleted" },
      403: sessionOnly,
      404: { description: "`api_key_not_found`" },
    },
  },
];
