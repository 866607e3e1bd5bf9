/**
 * @module The settings service of a script: its env (plain vars, secrets sealed at rest, within
 * the env caps) and its policy (limits within the platform caps, allowed outbound hosts). Reading
 * needs app viewer, writing app editor. No HTTP here.
 */
import { ApiError } from "../../common/errors.ts";
import { effectiveLimits } from "../../orchestrator/mod.ts";
import { recordChange } from "../audit/service.ts";
import type { Principal } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import { checkEnvCaps, mergedEnv } from "./env_limits.ts";
import { checkCaps, normalizePolicy, type Policy } from "./policy.ts";
import { findEnv, findPolicy, lockEnv, mergeEnv, replacePolicy, type ScriptEnv } from "./repo.ts";
import { scriptFor, scriptNotFound } from "./service.ts";

type Deps = Pick<ManagerDeps, "sql" | "routing" | "secrets" | "config">;

/** Values by name; null deletes the name. */
export type EnvValues = Record<string, string | null>;

/** A policy with the limits it results in and the platform caps. */
export interface PolicyView {
  policy: Policy;
  effective: ReturnType<typeof effectiveLimits> & { allowedHosts: string[] };
  caps: ManagerDeps["config"]["limits"];
}

/** A script's vars and the names of its secrets (values never returned). */
export async function getEnv(deps: Pick<Deps, "sql">, p: Principal, id: string) {
  const script = await scriptFor(deps, p, id, "script.read");
  const env = await findEnv(deps.sql, script.id);
  if (!env) throw scriptNotFound(script.id);
  return env;
}

/** Sets or deletes (null) vars and secrets; secrets are sealed before they are stored. */
export async function updateEnv(
  deps: Deps,
  p: Principal,
  id: string,
  input: { vars?: EnvValues; secrets?: EnvValues },
): Promise<ScriptEnv> {
  const script = await scriptFor(deps, p, id, "script.write");
  const vars = split(input.vars);
  const secrets = split(input.secrets);
  const sealed: Record<string, string> = {};
  if (Object.keys(secrets.set).length > 0) {
    const box = await deps.secrets.box({ create: true });
    if (!box) {
      throw new ApiError(
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
    await recordChange(tx, p, {
      action: "script.env",
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
  return env;
}

function split(values: EnvValues = {}) {
  return {
    set: Object.fromEntries(
      Object.entries(values).filter((e): e is [string, string] => e[1] !== null),
    ),
    deleted: Object.keys(values).filter((k) => values[k] === null),
  };
}

/** A script's policy, its effective limits and the platform caps. */
export async function getPolicy(
  deps: Pick<Deps, "sql" | "config">,
  p: Principal,
  id: string,
): Promise<PolicyView> {
  const script = await scriptFor(deps, p, id, "script.read");
  const policy = await findPolicy(deps.sql, script.id);
  if (!policy) throw scriptNotFound(script.id);
  return policyView(deps, policy as Policy);
}

/** Replaces a script's policy; a limit above its platform cap is 400 `limit_exceeds_cap`. */
export async function replaceScriptPolicy(
  deps: Pick<Deps, "sql" | "routing" | "config">,
  p: Principal,
  id: string,
  input: Policy,
): Promise<PolicyView> {
  const script = await scriptFor(deps, p, id, "script.write");
  checkCaps(input, deps.config.limits);
  const policy = normalizePolicy(input);
  await deps.sql.begin(async (tx) => {
    const r = await replacePolicy(tx, script.id, policy);
    if (!r) throw scriptNotFound(script.id);
    await recordChange(tx, p, {
      action: "script.policy",
      resourceId: script.id,
      appId: script.app_id,
      before: r.before,
      after: policy,
    });
  });
  await deps.routing.notifyChanged();
  return policyView(deps, policy);
}

function policyView(deps: Pick<Deps, "config">, policy: Policy): PolicyView {
  return {
    policy,
    effective: {
      ...effectiveLimits(deps.config.limits, policy),
      allowedHosts: policy.allowedHosts ?? [],
    },
    caps: deps.config.limits,
  };
}
