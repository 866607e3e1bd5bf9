/**
 * @module A script's "try it" page `/admin/apps/{slug}/scripts/{id}/try`: a form (method, path,
 * headers, body) that runs the script through the execute service — the operation behind
 * `ANY /api/v1/execute/{id}` — and the result below it: status, duration, response headers and
 * body, the invocation's console lines, the error or limit that stopped it, and its log entry.
 * Editors and above run it (the service refuses viewers, who see a note instead of the button).
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { createTrustedProxies, remoteAddrOf } from "../common/remote_addr.ts";
import type { Completion } from "../executor/mod.ts";
import type { AppView } from "../manager/apps/service.ts";
import { can } from "../manager/authz.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import { limitOf } from "../manager/logs/service.ts";
import type { ScriptRow } from "../manager/scripts/repo.ts";
import { executeScript } from "../manager/scripts/execute_service.ts";
import type { DispatchDeps } from "../orchestrator/mod.ts";
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
import {
  readShown,
  type ShownResponse,
  TRY_METHODS,
  TRY_SHOWN_BODY_BYTES,
  tryForm,
  tryRequest,
} from "./try_form.ts";

/** Longest wait for an invocation's completion beyond its time limit (a bound, not a limit). */
const COMPLETION_GRACE_MS = 5_000;

/** What a run shows. */
interface RunResult {
  shown: ShownResponse;
  requestId: string | null;
  done: Completion | null;
}

interface TryState {
  form?: Record<string, string>;
  errors?: FieldErrors;
  result?: RunResult;
  status?: ContentfulStatusCode;
}

/** Binds the "try it" page under `/apps/:slug/scripts/:id/try`. */
export function bindTryPage(ui: Hono<UiEnv>, deps: ManagerDeps, dispatchDeps: DispatchDeps): void {
  const addrOpts = { trustedProxies: createTrustedProxies(deps.config.trustedProxies ?? []) };
  const execute = { manager: deps, dispatch: dispatchDeps };
  const path = "/apps/:slug/scripts/:id/try";

  ui.get(path, async (c) => {
    const { app, script } = await appScriptOf(c, deps);
    return tryPage(c, app, script);
  });

  // The same-origin rule of every console post is the console's middleware; the service refuses
  // callers below app editor.
  ui.post(path, async (c) => {
    const { app, script } = await appScriptOf(c, deps);
    const form = await formOf(c);
    let input;
    try {
      input = parseForm(tryForm, {
        method: form.method ?? "",
        path: form.path ?? "",
        headers: form.headers ?? "",
        body: form.body ?? "",
      });
    } catch (err) {
      return tryPage(c, app, script, { form, errors: fieldErrors(err), status: errorStatus(err) });
    }
    const run = await executeScript(execute, callerOf(c)!, {
      scriptId: script.id,
      request: tryRequest(new URL(c.req.url).origin, script.id, input),
      remoteAddr: remoteAddrOf(c, addrOpts),
    });
    const shown = await readShown(run.response);
    const done = await settled(run.completed, dispatchDeps.limits.timeoutMs + COMPLETION_GRACE_MS);
    return tryPage(c, app, script, { form, result: { shown, requestId: run.requestId, done } });
  });
}

/** The completion, or null if it does not settle within `ms`. */
async function settled(p: Promise<Completion | null>, ms: number): Promise<Completion | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

function tryPage(c: Context<UiEnv>, app: AppView, script: ScriptRow, s: TryState = {}): Response {
  const p = callerOf(c)!;
  const editor = can(p, "script.execute", { appId: app.id });
  const action = scriptHref(app, script, "try");
  const form = s.form ?? {};
  const errors = s.errors ?? {};
  return scriptPage(
    c,
    { app, script, section: "try", status: s.status },
    <>
      <section class="panel">
        <h2>Request</h2>
        <p class="hint">
          Runs the script's active version as{" "}
          <span class="mono">ANY /api/v1/execute/{script.id}</span>{" "}
          would: a real run, recorded in the app's logs.
        </p>
        {!editor
          ? (
            <p class="notice alert">
              You can view this script but not run it: running code needs app editor.
            </p>
          )
          : (
            <>
              <FormError errors={errors} />
              <form method="post" action={action} class="try">
                <div class="row">
                  <div class="field role">
                    <label for="try-method">Method</label>
                    <select
                      id="try-method"
                      name="method"
                      aria-invalid={errors.method ? "true" : undefined}
                    >
                      {TRY_METHODS.map((m) => (
                        <option value={m} selected={m === (form.method ?? "GET")}>{m}</option>
                      ))}
                    </select>
                    {errors.method && <p class="error" id="try-method-error">{errors.method}</p>}
                  </div>
                  <div class="field">
                    <label for="try-path">Path</label>
                    <input
                      id="try-path"
                      name="path"
                      type="text"
                      class="mono"
                      value={form.path ?? "/"}
                      required
                      aria-invalid={errors.path ? "true" : undefined}
                      aria-describedby={errors.path ? "try-path-error" : "try-path-hint"}
                    />
                    <p class="hint" id="try-path-hint">
                      After the script's URL, e.g. /users/42?full=1
                    </p>
                    {errors.path && <p class="error" id="try-path-error">{errors.path}</p>}
                  </div>
                </div>
                <TextArea
                  name="headers"
                  label="Headers"
                  value={form.headers}
                  error={errors.headers}
                  rows={3}
                  hint="One Name: value per line"
                />
                <TextArea
                  name="body"
                  label="Body"
                  value={form.body}
                  error={errors.body}
                  rows={5}
                  hint="Sent as is (not with GET or HEAD)"
                />
                <div class="actions">
                  <button type="submit">Send request</button>
                </div>
              </form>
            </>
          )}
      </section>
      {s.result && (
        <ResultPanel result={s.result} logs={`/admin/apps/${app.slug}/logs?script=${script.id}`} />
      )}
    </>,
  );
}

function TextArea(
  p: { name: string; label: string; value?: string; error?: string; hint: string; rows: number },
) {
  const id = `try-${p.name}`;
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      <textarea
        id={id}
        name={p.name}
        rows={p.rows}
        class="mono"
        spellcheck={false}
        aria-invalid={p.error ? "true" : undefined}
        aria-describedby={p.error ? `${id}-error` : `${id}-hint`}
      >
        {p.value ?? ""}
      </textarea>
      <p class="hint" id={`${id}-hint`}>{p.hint}</p>
      {p.error && <p class="error" id={`${id}-error`}>{p.error}</p>}
    </div>
  );
}

function ResultPanel(p: { result: RunResult; logs: string }) {
  const { shown, done, requestId } = p.result;
  const outcome = done?.outcome;
  const error = outcome && outcome.kind !== "ok"
    ? outcome as unknown as Record<string, unknown>
    : null;
  const limit = limitOf(error);
  const detail = typeof error?.error === "string"
    ? error.error
    : typeof error?.reason === "string"
    ? error.reason
    : null;
  return (
    <section class="panel try-out" aria-labelledby="try-result">
      <h2 id="try-result">Response</h2>
      <dl class="result">
        <dt>Status</dt>
        <dd>
          <span class={`status s${String(shown.status)[0]}xx`}>{shown.status}</span>
          {shown.errorCode && (
            <>
              <span class="badge mono">{shown.errorCode}</span>
            </>
          )}
        </dd>
        <dt>Duration</dt>
        <dd>{done ? `${Math.round(done.durationMs)} ms` : "not measured"}</dd>
        {error && (
          <>
            <dt>Error</dt>
            <dd class="error-text">
              <span class="mono">{String(error.kind)}</span>
              {detail && <>: {detail.split("\n")[0]}</>}
              {detail?.includes("\n") && (
                <details>
                  <summary>Stack</summary>
                  <pre>{detail}</pre>
                </details>
              )}
            </dd>
          </>
        )}
        {limit && (
          <>
            <dt>Limit</dt>
            <dd class="mono">{limit.name}: used {limit.used} of {limit.limit}</dd>
          </>
        )}
        <dt>Log entry</dt>
        <dd>
          {requestId ? <a href={p.logs} class="mono">{requestId}</a> : "none (nothing ran)"}
        </dd>
      </dl>
      <h3>Headers</h3>
      <table class="headers">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {shown.headers.map(([k, v]) => (
            <tr>
              <td class="mono">{k}</td>
              <td class="mono">{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Body</h3>
      <ShownBodyView body={shown.body} />
      <h3>Console</h3>
      {!done || done.logs.length === 0
        ? <p class="empty">No console output.</p>
        : (
          <pre class="console" aria-label="Console output">
          {done.logs.map((l) => `[${l.level}] ${l.message}\n`).join("")}
          </pre>
        )}
    </section>
  );
}

function ShownBodyView(p: { body: ShownResponse["body"] }) {
  const b = p.body;
  if (b.kind === "empty") return <p class="empty">Empty body.</p>;
  if (b.kind === "binary") return <p>Binary body: {b.bytes} bytes of {b.type}.</p>;
  return (
    <>
      <pre class="body" aria-label="Response body">{b.text}</pre>
      {b.truncated && (
        <p class="hint">
          Truncated: showing the first {TRY_SHOWN_BODY_BYTES / 1024} KiB of {b.bytes} bytes.
        </p>
      )}
    </>
  );
}
