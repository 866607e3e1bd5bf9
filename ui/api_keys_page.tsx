/**
 * @module The API keys page `/admin/api-keys`: the signed-in user's own keys, a create form whose
 * result shows the new key once, and delete with a confirmation step. Sessions only — the
 * service refuses API keys.
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../common/errors.ts";
import { createKeyBody } from "../manager/api_keys/api.ts";
import type { ApiKeyRow } from "../manager/api_keys/repo.ts";
import { createApiKey, deleteApiKey, listApiKeys } from "../manager/api_keys/service.ts";
import { type AppView, listApps } from "../manager/apps/service.ts";
import type { ManagerDeps } from "../manager/deps.ts";
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
import { callerOf, page, type UiEnv } from "./layout.tsx";

const BASE = "/admin/api-keys";
const CRUMBS = [{ label: "Apps", href: "/admin" }, { label: "API keys", href: BASE }];

interface KeysState {
  errors?: FieldErrors;
  form?: Record<string, string>;
  status?: ContentfulStatusCode;
}

/** Binds the API keys page under `/api-keys`. */
export function bindApiKeysPage(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  ui.get("/api-keys", async (c) => await keysPage(c, deps));

  ui.post("/api-keys", async (c) => {
    const form = await formOf(c);
    try {
      const input = parseForm(createKeyBody, {
        name: form.name ?? "",
        app_id: form.app_id ? form.app_id : null,
        read_only: form.read_only === "on",
        expires_at: expiryOf(form.expires ?? ""),
      });
      const created = await createApiKey(deps, callerOf(c)!, input);
      // The only time the key exists in clear: shown here, never stored, never shown again.
      return page(
        c,
        { title: "New API key", crumbs: [...CRUMBS, { label: created.name }], islands: ["copy"] },
        <section class="panel">
          <h1>API key {created.name} created</h1>
          <div class="field">
            <label for="new-key">Your new key</label>
            <input id="new-key" class="mono" value={created.key} readonly type="text" />
          </div>
          <div class="copy" data-island="copy" data-copy="new-key"></div>
          <p class="alert" role="alert">
            Copy it now: it will not be shown again. Only a hash of it is kept.
          </p>
          <p>
            <a href={BASE}>Back to your API keys</a>
          </p>
        </section>,
      );
    } catch (err) {
      const errors = fieldErrors(err, {
        expires_at: "expires",
        invalid_request: "expires",
        app_not_found: "app_id",
      });
      return await keysPage(c, deps, { errors, form, status: errorStatus(err) });
    }
  });

  ui.get("/api-keys/:id/delete", async (c) => {
    const key = await keyOf(c, deps);
    return page(
      c,
      { title: "Delete API key", crumbs: [...CRUMBS, { label: key.name }] },
      <ConfirmForm
        action={`${BASE}/${key.id}/delete`}
        question={`Delete the API key ${key.name} (${key.prefix}…)?`}
        button="Delete key"
        cancel={BASE}
      >
        <p>Anything that uses it is refused from now on.</p>
      </ConfirmForm>,
    );
  });

  ui.post("/api-keys/:id/delete", async (c) => {
    const key = await keyOf(c, deps);
    await deleteApiKey(deps, callerOf(c)!, key.id);
    return c.redirect(BASE, 303);
  });
}

/** A date field's value as the end of that day in UTC; anything else as typed (for the schema). */
function expiryOf(value: string): string | null {
  const v = value.trim();
  if (v === "") return null;
  return /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T23:59:59Z` : v;
}

/** One of the caller's keys (anyone else's is not found). */
async function keyOf(c: Context<UiEnv>, deps: ManagerDeps): Promise<ApiKeyRow> {
  const key = (await listApiKeys(deps, callerOf(c)!)).find((k) => k.id === c.req.param("id"));
  if (!key) throw new ApiError("api_key_not_found", "No such API key");
  return key;
}

/** A time as `YYYY-MM-DD HH:MM UTC`. */
function utc(d: Date | null, none: string): string {
  return d ? `${d.toISOString().slice(0, 16).replace("T", " ")} UTC` : none;
}

async function keysPage(
  c: Context<UiEnv>,
  deps: ManagerDeps,
  s: KeysState = {},
): Promise<Response> {
  const p = callerOf(c)!;
  const [keys, apps] = await Promise.all([listApiKeys(deps, p), listApps(deps, p)]);
  const slugs = new Map(apps.map((a) => [a.id, a.slug]));
  const errors = s.errors ?? {};
  const form = s.form ?? {};
  return page(
    c,
    { title: "API keys", status: s.status, crumbs: [CRUMBS[0], { label: "API keys" }] },
    <>
      <h1>API keys</h1>
      <section class="panel">
        <h2>Your keys</h2>
        {keys.length === 0 ? <p class="empty">No API keys yet.</p> : (
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">App</th>
                <th scope="col">Access</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Delete</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr>
                  <td>{k.name}</td>
                  <td class="mono">{k.prefix}…</td>
                  <td>{k.app_id ? (slugs.get(k.app_id) ?? k.app_id) : "all your apps"}</td>
                  <td>
                    <span class="badge">{k.read_only ? "read-only" : "read-write"}</span>
                  </td>
                  <td>{utc(k.expires_at, "never")}</td>
                  <td>{utc(k.last_used_at, "never")}</td>
                  <td>
                    <a href={`${BASE}/${k.id}/delete`}>Delete…</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="panel">
        <h2>Create a key</h2>
        <p class="hint">
          A key acts as you, with your roles, narrowed to one app and to reading if you choose.
        </p>
        <FormError errors={errors} />
        <form method="post" action={BASE}>
          <div class="row">
            <Field
              idPrefix="key"
              name="name"
              label="Name"
              value={form.name}
              error={errors.name}
              required
            />
            <AppSelect apps={apps} selected={form.app_id ?? ""} error={errors.app_id} />
            <Field
              idPrefix="key"
              name="expires"
              label="Expires (optional)"
              type="date"
              value={form.expires}
              error={errors.expires}
              hint="At the end of that day, UTC"
            />
          </div>
          <div class="field">
            <label class="check">
              <input type="checkbox" name="read_only" checked={form.read_only === "on"} /> Read-only
            </label>
          </div>
          <button type="submit">Create key</button>
        </form>
      </section>
    </>,
  );
}

function AppSelect(p: { apps: AppView[]; selected: string; error?: string }) {
  return (
    <div class="field">
      <label for="key-app_id">App</label>
      <select id="key-app_id" name="app_id" aria-invalid={p.error ? "true" : undefined}>
        <option value="">All your apps</option>
        {p.apps.map((a) => (
          <option key={a.id} value={a.id} selected={a.id === p.selected}>{a.slug}</option>
        ))}
      </select>
      {p.error && <p class="error" id="key-app_id-error">{p.error}</p>}
    </div>
  );
}
