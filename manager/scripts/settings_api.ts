/**
 * @module `/api/v1/admin/scripts/{id}/env` and `/policy`: a script's env (plain vars, sealed
 * secrets) and policy (limits within platform caps, allowed outbound hosts). Reading needs app
 * viewer, writing app editor. Parse, call the service, respond.
 */
import { z } from "zod";
import type { ManagerDeps } from "../deps.ts";
import type { Routes } from "../endpoint.ts";
import { MAX_ENV_NAMES, MAX_ENV_TOTAL_BYTES } from "./env_limits.ts";
import { policySchema } from "./policy.ts";
import { scriptIdParams } from "./schemas.ts";
import { getEnv, getPolicy, replaceScriptPolicy, updateEnv } from "./settings_service.ts";

/** Largest var or secret value, in characters. */
export const MAX_ENV_VALUE_CHARS = 32 * 1024;

const envName = z.string().max(128).regex(/^[A-Z_][A-Z0-9_]*$/, "Use [A-Z_][A-Z0-9_]*");
const envValues = z.record(envName, z.string().max(MAX_ENV_VALUE_CHARS).nullable());
/** `PUT /scripts/{id}/env` (the console validates its forms with it too). */
export const putEnv = z.strictObject({ vars: envValues.optional(), secrets: envValues.optional() })
  .refine(
    (b) => Object.keys(b.vars ?? {}).length + Object.keys(b.secrets ?? {}).length <= 200,
    "At most 200 names per request",
  );
const envSchema = z.object({
  vars: z.record(z.string(), z.string()),
  secrets: z.array(z.string()),
});
const limitsSchema = z.object({
  timeoutMs: z.number().int(),
  memoryLimitMb: z.number().int(),
  maxBodyBytes: z.number().int(),
  maxConcurrency: z.number().int(),
});
const policyView = z.object({
  policy: policySchema,
  effective: limitsSchema.extend({ allowedHosts: z.array(z.string()) }),
  caps: limitsSchema,
});

const notFound = { description: "`script_not_found`: no such script (or not visible)" };

/** Binds `/{id}/env` and `/{id}/policy` on the scripts router. */
export function bindScriptSettingsApi(r: Routes, deps: ManagerDeps): void {
  r.add({
    method: "get",
    path: "/{id}/env",
    summary: "Read a script's vars and the names of its secrets (values never returned)",
    action: "script.read",
    tag: "scripts",
    params: scriptIdParams,
    responses: { 200: { description: "Env", schema: envSchema }, 404: notFound },
  }, async ({ p, params }, c) => c.json(await getEnv(deps, p, params.id)));

  r.add({
    method: "put",
    path: "/{id}/env",
    summary: `Set or delete (null) vars and secrets; secrets are encrypted at rest. At most ` +
      `${MAX_ENV_NAMES} names and ${MAX_ENV_TOTAL_BYTES} bytes (names + values, vars + sealed ` +
      `secrets) per script after the merge`,
    action: "script.write",
    tag: "scripts",
    params: scriptIdParams,
    body: putEnv,
    responses: {
      200: { description: "Env after the change", schema: envSchema },
      404: notFound,
      409: { description: "`secrets_disabled`: PICLOUD_SECRET_KEY is not set (PostgreSQL mode)" },
      413: {
        description: "`body_too_large`; `env_too_large`: the env after the merge exceeds a cap " +
          "(limits and sizes in details)",
      },
    },
  }, async ({ p, params, body }, c) => c.json(await updateEnv(deps, p, params.id, body)));

  r.add({
    method: "get",
    path: "/{id}/policy",
    summary: "Read a script's policy, its effective limits and the platform caps",
    action: "script.read",
    tag: "scripts",
    params: scriptIdParams,
    responses: { 200: { description: "Policy", schema: policyView }, 404: notFound },
  }, async ({ p, params }, c) => c.json(await getPolicy(deps, p, params.id)));

  r.add({
    method: "put",
    path: "/{id}/policy",
    summary: "Replace a script's policy (limits within platform caps, allowed hosts)",
    action: "script.write",
    tag: "scripts",
    params: scriptIdParams,
    body: policySchema,
    responses: {
      200: { description: "Policy", schema: policyView },
      400: { description: "`invalid_request` or `limit_exceeds_cap`" },
      404: notFound,
    },
  }, async ({ p, params, body }, c) => c.json(await replaceScriptPolicy(deps, p, params.id, body)));
}
