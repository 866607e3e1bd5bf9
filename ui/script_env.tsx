/**
 * @module A script's Environment section: plain vars (add, edit, remove) and write-only secrets
 * (names listed; set, replace, remove — a secret's value is never rendered back). Removing asks
 * first. Validation is the env API's own schema; the settings service refuses non-editors.
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppView } from "../manager/apps/service.ts";
import { can } from "../manager/authz.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import type { ScriptRow } from "../manager/scripts/repo.ts";
import { putEnv } from "../manager/scripts/settings_api.ts";
import { getEnv, updateEnv } from "../manager/scripts/settings_service.ts";
import { ConfirmForm } from "./app_shell.tsx";
import {
  errorStatus,
  Field,
  type FieldErrors,
  fieldErrors,
  FormError,
  formOf,
  parseForm,
} from "./forms.tsx";
import { callerOf, type UiEnv } from "./layout.tsx";
import { appScriptOf, scriptHref, scriptPage } from "./script_shell.tsx";

/** The two kinds of env entries, by the key of the env API's body. */
type Kind = "vars" | "secrets";

interface EnvState {
  /** Which add form the errors and values belong to. */
  kind?: Kind;
  errors?: FieldErrors;
  form?: Record<string, string>;
  status?: ContentfulStatusCode;
}

const kindOf = (raw: string | undefined): Kind => raw === "secrets" ? "secrets" : "vars";

/**
 * The change a form asks for, validated with the env API's schema: the name alone first, so its
 * error lands on the name field, then with the value (null removes).
 */
function parseChange(kind: Kind, name: string, value: string | null) {
  try {
    parseForm(putEnv, { [kind]: { [name]: null } });
  } catch (err) {
    throw Object.assign(err as Error, { field: "name" });
  }
  try {
    return parseForm(putEnv, { [kind]: { [name]: value } });
  } catch (err) {
    throw Object.assign(err as Error, { field: "value" });
  }
}

/** Binds the Environment section under `/apps/:slug/scripts/:id/env`. */
export function bindScriptEnv(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  ui.get("/apps/:slug/scripts/:id/env", async (c) => {
    const { app, script } = await appScriptOf(c, deps);
    return await envPage(c, deps, app, script);
  });

  ui.post("/apps/:slug/scripts/:id/env", async (c) => {
    const { app, script } = await appScriptOf(c, deps);
    const form = await formOf(c);
    const kind = kindOf(form.kind);
    const name = (form.name ?? "").trim();
    try {
      const input = parseChange(kind, name, form.value ?? "");
      await updateEnv(deps, callerOf(c)!, script.id, input);
      return c.redirect(doneHref(app, script, "saved", kind, name), 303);
    } catch (err) {
      const field = (err as { field?: string }).field;
      const errors = fieldErrors(err, field ? { [kind]: field } : { env_too_large: "value" });
      // A secret's value is never sent back, not even the one just posted.
      const back = { name, value: kind === "vars" ? form.value ?? "" : "" };
      return await envPage(c, deps, app, script, {
        kind,
        errors,
        form: back,
        status: errorStatus(err),
      });
    }
  });

  ui.get("/apps/:slug/scripts/:id/env/remove", async (c) => {
    const { app, script } = await appScriptOf(c, deps);
    const kind = kindOf(c.req.query("kind"));
    const name = c.req.query("name") ?? "";
    const what = kind === "vars" ? "variable" : "secret";
    return scriptPage(
      c,
      { app, script, section: "env" },
      <ConfirmForm
        action={`${scriptHref(app, script, "env")}/remove`}
        question={`Remove the ${what} ${name}?`}
        button={`Remove ${what}`}
        cancel={scriptHref(app, script, "env")}
      >
        <input type="hidden" name="kind" value={kind} />
        <input type="hidden" name="name" value={name} />
        <p>The script no longer sees {name} from its next request on.</p>
      </ConfirmForm>,
    );
  });

  ui.post("/apps/:slug/scripts/:id/env/remove", async (c) => {
    const { app, script } = await appScriptOf(c, deps);
    const form = await formOf(c);
    const kind = kindOf(form.kind);
    const name = form.name ?? "";
    await updateEnv(deps, callerOf(c)!, script.id, parseForm(putEnv, { [kind]: { [name]: null } }));
    return c.redirect(doneHref(app, script, "removed", kind, name), 303);
  });
}

/** Where a change redirects to: the section, with what was done for the flash message. */
function doneHref(app: AppView, script: ScriptRow, done: string, kind: Kind, name: string) {
  const q = new URLSearchParams({ done, kind, name });
  return `${scriptHref(app, script, "env")}?${q}`;
}

/** The flash message of a redirect: fixed wording, and only a name the env schema accepts. */
function noticeOf(c: Context<UiEnv>): string | undefined {
  const { done, kind, name = "" } = c.req.query();
  if (done !== "saved" && done !== "removed") return undefined;
  if (!putEnv.safeParse({ vars: { [name]: null } }).success) return undefined;
  const what = kind === "secrets" ? "Secret" : "Variable";
  return `${what} ${name} ${done === "saved" && kind === "secrets" ? "set" : done}`;
}

async function envPage(
  c: Context<UiEnv>,
  deps: ManagerDeps,
  app: AppView,
  script: ScriptRow,
  s: EnvState = {},
): Promise<Response> {
  const p = callerOf(c)!;
  const editor = can(p, "script.write", { appId: app.id });
  const env = await getEnv(deps, p, script.id);
  const base = scriptHref(app, script, "env");
  const vars = Object.entries(env.vars).sort(([a], [b]) => a.localeCompare(b));
  const stateOf = (kind: Kind) =>
    s.kind === kind ? { errors: s.errors ?? {}, form: s.form ?? {} } : { errors: {}, form: {} };
  const v = stateOf("vars");
  const sec = stateOf("secrets");
  return scriptPage(
    c,
    {
      app,
      script,
      section: "env",
      status: s.status,
      notice: noticeOf(c),
    },
    <>
      <section class="panel">
        <h2>Variables</h2>
        <p class="hint">
          Plain values the script reads from its env; shown to everyone who sees it.
        </p>
        {vars.length === 0 ? <p class="empty">No variables.</p> : (
          <table class="stack env">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Value</th>
                {editor && <th scope="col">Remove</th>}
              </tr>
            </thead>
            <tbody>
              {vars.map(([name, value]) => (
                <tr>
                  <td class="mono">{name}</td>
                  <td>
                    {editor
                      ? (
                        <form method="post" action={base} class="inline">
                          <input type="hidden" name="kind" value="vars" />
                          <input type="hidden" name="name" value={name} />
                          <label class="sr-only" for={`var-${name}`}>Value of {name}</label>
                          <input id={`var-${name}`} type="text" name="value" value={value} />
                          <button type="submit" class="secondary">Save</button>
                        </form>
                      )
                      : <code class="value">{value}</code>}
                  </td>
                  {editor && (
                    <td>
                      <a href={`${base}/remove?kind=vars&name=${encodeURIComponent(name)}`}>
                        Remove…
                      </a>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {editor && <EnvForm action={base} kind="vars" errors={v.errors} form={v.form} />}
      </section>
      <section class="panel">
        <h2>Secrets</h2>
        <p class="hint">
          Write-only: sealed when saved and never shown again. Set a name again to replace its
          value.
        </p>
        {env.secrets.length === 0 ? <p class="empty">No secrets.</p> : (
          <ul class="secrets">
            {env.secrets.map((name) => (
              <li>
                <span class="mono">{name}</span> <span class="badge">hidden</span>
                {editor && (
                  <a href={`${base}/remove?kind=secrets&name=${encodeURIComponent(name)}`}>
                    Remove…
                  </a>
                )}
              </li>
            ))}
          </ul>
        )}
        {editor && <EnvForm action={base} kind="secrets" errors={sec.errors} form={sec.form} />}
      </section>
    </>,
  );
}

function EnvForm(
  p: { action: string; kind: Kind; errors: FieldErrors; form: Record<string, string> },
) {
  const secret = p.kind === "secrets";
  const prefix = secret ? "secret" : "var";
  return (
    <>
      <h3 class="sub">{secret ? "Set a secret" : "Add or change a variable"}</h3>
      <FormError errors={p.errors} />
      <form method="post" action={p.action} class="row">
        <input type="hidden" name="kind" value={p.kind} />
        <Field
          idPrefix={prefix}
          name="name"
          label="Name"
          value={p.form.name}
          error={p.errors.name}
          hint="Upper case, digits and _, e.g. API_URL"
          required
        />
        <Field
          idPrefix={prefix}
          name="value"
          label="Value"
          type={secret ? "password" : "text"}
          autocomplete={secret ? "new-password" : "off"}
          value={secret ? "" : p.form.value}
          error={p.errors.value}
        />
        <div class="field submit">
          <button type="submit">{secret ? "Set secret" : "Save variable"}</button>
        </div>
      </form>
    </>
  );
}
