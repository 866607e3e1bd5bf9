/**
 * @module `/api/v1/admin/api-keys`: a signed-in user's keys. The full key is returned once, at
 * creation; only its SHA-256 is stored.
 */
import { z } from "zod";
import type { ManagerDeps } from "../deps.ts";
import type { Routes } from "../endpoint.ts";
import { apiKeyCreatedSchema, apiKeySchema, itemsOf } from "../openapi_schemas.ts";
import { isoDateTime, lineText } from "../validate.ts";
import { createApiKey, deleteApiKey, listApiKeys } from "./service.ts";

/** `POST /api-keys`: a name, and optionally an app to narrow to, read-only, an expiry. */
export const createKeyBody = z.strictObject({
  name: lineText({ trim: true, minChars: 1, maxChars: 200 }),
  app_id: z.string().min(1).max(200).nullable().default(null),
  read_only: z.boolean().default(false),
  expires_at: isoDateTime.nullable().default(null),
});

/** Any text: an id that is not a UUID is a 404 `api_key_not_found`, like an unknown one. */
const keyParams = z.object({
  id: z.string().meta({ format: "uuid", description: "The key's id" }),
});

/** Sessions are never refused for their role here; only API keys are refused. */
const sessionOnly = { description: "`session_required`: API keys cannot manage API keys" };

/** Binds `/api-keys` under the admin router: parse, call the service, respond. */
export function bindApiKeysApi(r: Routes, deps: ManagerDeps): void {
  r.add({
    method: "get",
    path: "",
    summary: "List the caller's API keys (never the secrets)",
    action: "api_key.manage",
    tag: "api-keys",
    responses: {
      200: { description: "The caller's keys", schema: itemsOf(apiKeySchema) },
      403: sessionOnly,
    },
  }, async ({ p }, c) => c.json({ items: await listApiKeys(deps, p) }));

  r.add({
    method: "post",
    path: "",
    summary: "Create an API key, optionally narrowed to one app and read-only; the key is " +
      "returned once",
    action: "api_key.manage",
    tag: "api-keys",
    body: createKeyBody,
    responses: {
      201: { description: "Created; `key` is shown only now", schema: apiKeyCreatedSchema },
      403: sessionOnly,
      404: { description: "`app_not_found`" },
    },
  }, async ({ p, body }, c) => c.json(await createApiKey(deps, p, body), 201));

  r.add({
    method: "delete",
    path: "/{id}",
    summary: "Delete one of the caller's API keys",
    action: "api_key.manage",
    tag: "api-keys",
    params: keyParams,
    responses: {
      204: { description: "Deleted" },
      403: sessionOnly,
      404: { description: "`api_key_not_found`" },
    },
  }, async ({ p, params }, c) => {
    await deleteApiKey(deps, p, params.id);
    return c.body(null, 204);
  });
}
