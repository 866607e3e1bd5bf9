/**
 * @module A script's Policy & limits section: what the script overrides beside the limits in
 * effect and the platform caps, and (for app editors) a form validated by the policy API's own
 * schema — an empty field takes the platform default.
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../common/errors.ts";
import type { AppView } from "../manager/apps/service.ts";
import { can } from "../manager/authz.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import { policySchema } from "../manager/scripts/policy.ts";
import type { ScriptRow } from "../manager/scripts/repo.ts";
import { getPolicy, replaceScriptPolicy } from "../manager/scripts/settings_service.ts";
import {
  errorStatus,
  type FieldErrors,
  fieldErrors,
  FormError,
  formOf,
  parseForm,
} from "./forms.tsx";
import { callerOf, type UiEnv } from "./layout.tsx";
import { appScriptOf, scriptHref, scriptPage } from "./script_shell.tsx";

/** The policy's limits, with their labels and units, in the order shown. */
export const LIMITS = [
  { field: "timeoutMs", label: "Timeout", unit: "ms" },
  { field: "memoryLimitMb", label: "Memory", unit: "MB" },
  { field: "maxBodyBytes", label: "Request body", unit: "bytes" },
  { field: "maxConcurrency", label: "Concurrent requests", unit: "" },
] as const;

interface PolicyState {
  errors?: FieldErrors;
  form?: Record<string, string>;
  status?: ContentfulStatusCode;
}

/** The policy a posted form asks for: numbers where given, hosts one per line. */
export function policyInput(form: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { field } of LIMITS) {
    const raw = (form[field] ?? "").trim();
    if (raw !== "") out[field] = /^-?\d+$/.test(raw) ? Number(raw) : raw;
  }
  const hosts = (form.allowedHosts ?? "").split(/[\s,]+/).filter((h) => h !== "");
  if (hosts.length > 0) out.allowedHosts = hosts;
  return out;
}

/** Binds the Policy section under `/apps/:slug/scripts/:id/policy`. */
export function bindScriptPolicy(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  ui.get("/apps/:slug/scripts/:id/policy", async (c) => {
    const { app, script } = await appScriptOf(c, deps);
    return await policyPage(c, deps, app, script);
  });

  ui.post("/apps/:slug/scripts/:id/policy", async (c) => {
    const { app, script } = await appScriptOf(c, deps);
    const form = await formOf(c);
    try {
      const input = parseForm(policySchema, policyInput(form));
      await replaceScriptPolicy(deps, callerOf(c)!, script.id, input);
      return c.redirect(`${scriptHref(app, script, "policy")}?saved=1`, 303);
    } catch (err) {
      const field = err instanceof ApiError && err.code === "limit_exceeds_cap"
        ? String(err.details?.field ?? "_")
        : "_";
      const errors = fieldErrors(err, { limit_exceeds_cap: field });
      return await policyPage(c, deps, app, script, { errors, form, status: errorStatus(err) });
    }
  });
}

async function policyPage(
  c: Context<UiEnv>,
  deps: ManagerDeps,
  app: AppView,
  script: ScriptRow,
  s: PolicyState = {},
): Promise<Response> {
  const p = callerOf(c)!;
  const editor = can(p, "script.write", { appId: app.id });
  const view = await getPolicy(deps, p, script.id);
  const errors = s.errors ?? {};
  const value = (field: typeof LIMITS[number]["field"]) =>
    s.form ? s.form[field] ?? "" : view.policy[field]?.toString() ?? "";
  const hosts = s.form?.allowedHosts ?? (view.policy.allowedHosts ?? []).join("\n");
  const table = (
    <table class="stack policy">
      <thead>
        <tr>
          <th scope="col">Limit</th>
          <th scope="col">This script</th>
          <th scope="col">In effect</th>
          <th scope="col">Platform cap</th>
        </tr>
      </thead>
      <tbody>
        {LIMITS.map((l) => {
          const id = `policy-${l.field}`;
          const err = errors[l.field];
          return (
            <tr>
              <th scope="row">
                {editor ? <label for={id}>{l.label}</label> : l.label}
                {l.unit && <span class="hint unit">({l.unit})</span>}
              </th>
              <td>
                {editor
                  ? (
                    <>
                      <input
                        id={id}
                        name={l.field}
                        type="number"
                        min="1"
                        max={String(view.caps[l.field])}
                        value={value(l.field)}
                        placeholder="platform default"
                        aria-invalid={err ? "true" : undefined}
                        aria-describedby={err ? `${id}-error` : undefined}
                      />
                      {err && <p class="error" id={`${id}-error`}>{err}</p>}
                    </>
                  )
                  : view.policy[l.field] ?? <span class="empty">default</span>}
              </td>
              <td class="mono">
                <span class="label-sm">In effect:</span> {view.effective[l.field]}
              </td>
              <td class="mono">
                <span class="label-sm">Cap:</span> {view.caps[l.field]}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
  const hostsField = editor
    ? (
      <div class="field">
        <label for="policy-allowedHosts">Allowed outbound hosts</label>
        <textarea
          id="policy-allowedHosts"
          name="allowedHosts"
          rows={4}
          spellcheck={false}
          class="source"
          aria-invalid={errors.allowedHosts ? "true" : undefined}
          aria-describedby="policy-allowedHosts-hint"
        >
          {hosts}
        </textarea>
        <p class="hint" id="policy-allowedHosts-hint">
          One host or host:port per line (no scheme or path). Empty: no outbound requests.
        </p>
        {errors.allowedHosts && <p class="error">{errors.allowedHosts}</p>}
      </div>
    )
    : (
      <div>
        <h3 class="sub">Allowed outbound hosts</h3>
        {view.effective.allowedHosts.length === 0
          ? <p class="empty">None: the script makes no outbound requests.</p>
          : (
            <ul class="mono">
              {view.effective.allowedHosts.map((h) => <li key={h}>{h}</li>)}
            </ul>
          )}
      </div>
    );
  return scriptPage(
    c,
    {
      app,
      script,
      section: "policy",
      status: s.status,
      notice: c.req.query("saved") === "1" ? "Policy saved" : undefined,
    },
    <section class="panel">
      <h2>Policy and limits</h2>
      <p class="hint">
        An empty field takes the platform default; a script can lower a limit or raise it up to the
        platform cap.
      </p>
      {editor
        ? (
          <form method="post" action={scriptHref(app, script, "policy")}>
            <FormError errors={errors} />
            {table}
            {hostsField}
            <div class="actions">
              <button type="submit">Save policy</button>
            </div>
          </form>
        )
        : (
          <>
            {table}
            {hostsField}
          </>
        )}
    </section>,
  );
}
