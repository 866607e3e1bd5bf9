/**
 * @module Zod schemas of the JSON response bodies, used only by the OpenAPI document: handlers
 * return repo rows, and these describe them as the client receives them (dates as ISO strings).
 */
import { z } from "zod";

/** A timestamp as JSON carries it. */
export const timestamp = z.iso.datetime({ offset: true });

/** `{ items: [...] }`, the shape of every list response. */
export function itemsOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item) });
}

/** An admin user (never with the password hash). */
export const userSchema = z.object({
  id: z.uuid(),
  email: z.email(),
  display_name: z.string(),
  instance_role: z.enum(["owner", "admin", "member"]),
  active: z.boolean(),
  created_at: timestamp,
  updated_at: timestamp,
}).meta({ id: "User" });

/** An API key as listed (the secret is shown once, at creation). */
export const apiKeySchema = z.object({
  id: z.uuid(),
  user_id: z.uuid(),
  name: z.string(),
  prefix: z.string().describe("The key's first characters, to recognise it"),
  app_id: z.uuid().nullable().describe("The app the key is narrowed to, if any"),
  read_only: z.boolean(),
  last_used_at: timestamp.nullable(),
  expires_at: timestamp.nullable(),
  created_at: timestamp,
}).meta({ id: "ApiKey" });

/** A new API key: the row plus the full key, returned only this once. */
export const apiKeyCreatedSchema = apiKeySchema.extend({
  key: z.string().describe("The full key (`pc_…`); store it now, it is not shown again"),
}).meta({ id: "ApiKeyCreated" });

/** An app membership with the member's name. */
export const memberSchema = z.object({
  app_id: z.uuid(),
  user_id: z.uuid(),
  role: z.enum(["admin", "editor", "viewer"]),
  email: z.email(),
  display_name: z.string(),
  created_at: timestamp,
}).meta({ id: "Member" });

/** The result of granting or changing an app role. */
export const memberGrantSchema = z.object({
  app_id: z.uuid(),
  user_id: z.uuid(),
  role: z.enum(["admin", "editor", "viewer"]),
});

/** One audit log entry: who changed what, with the state before and after (no secrets). */
export const auditEntrySchema = z.object({
  id: z.string().describe("Sequential id (a 64-bit integer, as a string)"),
  at: timestamp,
  actor_user_id: z.uuid().nullable(),
  actor_key_id: z.uuid().nullable(),
  action: z.string().describe("e.g. `user.create`, `script.deploy`"),
  resource_type: z.string(),
  resource_id: z.string().nullable(),
  app_id: z.uuid().nullable(),
  before: z.unknown(),
  after: z.unknown(),
}).meta({ id: "AuditEntry" });

/** A signed-in session: the token is also set as the `picloud_session` cookie. */
export const loginResultSchema = z.object({
  token: z.string().describe("Session token; send as `Authorization: Bearer …`"),
  expires_at: timestamp,
  user: userSchema,
});

/** Who is calling, how, and in which apps. */
export const meSchema = z.object({
  user: userSchema,
  via: z.enum(["session", "api_key"]),
  api_key: z.object({ id: z.uuid(), app_id: z.uuid().nullable(), read_only: z.boolean() })
    .nullable(),
  memberships: z.array(
    z.object({
      app_id: z.uuid(),
      app_slug: z.string(),
      role: z.enum(["admin", "editor", "viewer"]),
    }),
  ),
});
