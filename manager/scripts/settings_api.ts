/**
 * @module REST endpoints for a script's env (plain vars, sealed secrets) and policy (limits within
 * platform caps, allowed outbound hosts). Reading needs app viewer, writing app editor.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { effectiveLimits } from "../../orchestrator/mod.ts";
import { actorOf, writeAudit } from "../audit/repo.ts";
import type { AuthEnv } from "../authn.ts";
import type { ManagerDeps } from "../deps.ts";
import type { EndpointDoc } from "../openapi_types.ts";
import { jsonBody } from "../validate.ts";
import { scriptFor, scriptIdParams, scriptNotFound } from "./_lookup.ts";
import { checkCaps, normalizePolicy, type Policy, policySchema } from "./policy.ts";
import { checkEnvCaps, MAX_ENV_NAMES, MAX_ENV_TOTAL_BYTES, mergedEnv } from "./env_limits.ts";
import { findEnv, findPolicy, lockEnv, mergeEnv, replacePolicy } from "./repo.ts";

/** Largest var or secret value, in characters. */
export const MAX_ENV_VALUE_CHARS = 32 * 1024;

const envName = z.string().max(128).regex(/^[A-Z_][A-Z0-9_]*$/, "Use [A-Z_][A-Z0-9_]*");
const envValues = z.record(envName, z.string().max(MAX_ENV_VALUE_CHARS).nullable());
const putEnv = z.strictObject({ vars: envValues.optional(), secrets: envValues.optional() })
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
const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

/** Binds `/{id}/env` and `/{id}/policy` (mounted inside the scripts router). */
export function bindScriptSettingsApi(deps: ManagerDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();

  api.get("/:id/env", async (c) => {
    const { script } = await scriptFor(c, deps, "script.read");
    const env = await findEnv(deps.sql, script.id);
    if (!env) throw scriptNotFound(script.id);
    return c.json(env);
  });

  api.put("/:id/env", async (c) => {
    const { script, p } = await scriptFor(c, deps, "script.write");
    const input = await jsonBody(c, putEnv);
    const split = (values: Record<string, string | null> = {}) => ({
      set: Object.fromEntries(
        Object.entries(values).filter((e): e is [string, string] => e[1] !== null),
      ),
      deleted: Object.keys(values).filter((k) => values[k] === null),
    });
    const vars = split(input.vars);
    const secrets = split(input.secrets);
    const sealed: Record<string, string> = {};
    if (Object.keys(secrets.set).length > 0) {
      const box = await deps.secrets.box({ create: true });
      if (!box) {
        throw new ApiError(
          409,
          "secrets_disabled",
          "Secrets are disabled: set PICLOUD_SECRET_KEY (base64 of 32 random bytes) on every node",
          { variable: "PICLOUD_SECRET_KEY" },
        );
      }
      for (const [name, value] of Object.entries(secrets.set)) {
        sealed[name] = await box.seal(value, script.id);
      }
    }
    const change = {
      setVars: vars.set,
      deleteVars: vars.deleted,
      setSecrets: sealed,
      deleteSecrets: secrets.deleted,
    };
    const env = await deps.sql.begin(async (tx) => {
      // Under the row lock, so concurrent PUTs cannot together pass the caps.
      const before = await lockEnv(tx, script.id);
      if (!before) throw scriptNotFound(script.id);
      checkEnvCaps(before, mergedEnv(before, change));
      const env = await mergeEnv(tx, script.id, change);
      if (!env) throw scriptNotFound(script.id);
      // Names only: values (vars included) stay out of the audit log.
      await writeAudit(tx, {
        ...actorOf(p),
        action: "script.env",
        resourceType: "script",
        resourceId: script.id,
        appId: script.app_id,
        before: null,
        after: {
          vars_set: Object.keys(vars.set),
          vars_deleted: vars.deleted,
          secrets_set: Object.keys(sealed),
          secrets_deleted: secrets.deleted,
        },
      });
      return env;
    });
    await deps.routing.notifyChanged();
    return c.json(env);
  });

  api.get("/:id/policy", async (c) => {
    const { script } = await scriptFor(c, deps, "script.read");
    const policy = await findPolicy(deps.sql, script.id);
    if (!policy) throw scriptNotFound(script.id);
    return c.json(policyResponse(deps, policy as Policy));
  });

  api.put("/:id/policy", async (c) => {
    const { script, p } = await scriptFor(c, deps, "script.write");
    const input = await jsonBody(c, policySchema);
    checkCaps(input, deps.config.limits);
    const policy = normalizePolicy(input);
    await deps.sql.begin(async (tx) => {
      const r = await replacePolicy(tx, script.id, policy);
      if (!r) throw scriptNotFound(script.id);
      await writeAudit(tx, {
        ...actorOf(p),
        action: "script.policy",
        resourceType: "script",
        resourceId: script.id,
        appId: script.app_id,
        before: r.before,
        after: policy,
      });
    });
    await deps.routing.notifyChanged();
    return c.json(policyResponse(deps, policy));
  });

  return api;
}

function policyResponse(deps: ManagerDeps, policy: Policy) {
  return {
    policy,
    effective: {
      ...effectiveLimits(deps.config.limits, policy),
      allowedHosts: policy.allowedHosts ?? [],
    },
    caps: deps.config.limits,
  };
}

const P = "/api/v1/admin/scripts/{id}";
const err = (description: string) => ({ description, schema: errorSchema });

/** The env and policy endpoints, for the OpenAPI document. */
export const settingsDocs: EndpointDoc[] = [
  {
    method: "get",
    path: `${P}/env`,
    summary: "Read a script's vars and the names of its secrets (values never returned)",
    action: "script.read",
    tag: "scripts",
    params: scriptIdParams,
    responses: { 200: { description: "Env", schema: envSchema }, 404: err("No such script") },
  },
  {
    method: "put",
    path: `${P}/env`,
    summary: `Set or delete (null) vars and secrets; secrets are encrypted at rest. At most ` +
      `${MAX_ENV_NAMES} names and ${MAX_ENV_TOTAL_BYTES} bytes (names + values, vars + sealed ` +
      `secrets) per script after the merge`,
    action: "script.write",
    tag: "scripts",
    params: scriptIdParams,
    body: putEnv,
    responses: {
      200: { description: "Env after the change", schema: envSchema },
      400: err("Invalid request"),
      404: err("No such script"),
      409: err("secrets_disabled: PICLOUD_SECRET_KEY is not set (PostgreSQL mode)"),
      413: err(
        "env_too_large: the env after the merge exceeds a cap (limits and sizes in details)",
      ),
    },
  },
  {
    method: "get",
    path: `${P}/policy`,
    summary: "Read a script's policy, its effective limits and the platform caps",
    action: "script.read",
    tag: "scripts",
    params: scriptIdParams,
    responses: { 200: { description: "Policy", schema: policyView }, 404: err("No such script") },
  },
  {
    method: "put",
    path: `${P}/policy`,
    summary: "Replace a script's policy (limits within platform caps, allowed hosts)",
    action: "script.write",
    tag: "scripts",
    params: scriptIdParams,
    body: policySchema,
    responses: {
      200: { description: "Policy", schema: policyView },
      400: err("invalid_request or limit_exceeds_cap"),
      404: err("No such script"),
    },
  },
];
