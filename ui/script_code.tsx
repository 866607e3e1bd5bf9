/**
 * @module A script's Code and Versions sections: the active source with a deploy form (a
 * `compile_error` shows its diagnostics at their lines, no JavaScript needed), the version history
 * with "activate" (a rollback, confirmed first) and a server-rendered diff of any two versions.
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../common/errors.ts";
import type { AppView } from "../manager/apps/service.ts";
import { can } from "../manager/authz.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import { listMembers } from "../manager/members/service.ts";
import type { ScriptRow } from "../manager/scripts/repo.ts";
import { createVersion, versionParams } from "../manager/scripts/schemas.ts";
import {
  activateVersion,
  deployVersion,
  getVersion,
  listVersions,
} from "../manager/scripts/versions_service.ts";
import { ConfirmForm } from "./app_shell.tsx";
import {
  errorStatus,
  type FieldErrors,
  fieldErrors,
  FormError,
  formOf,
  parseForm,
} from "./forms.tsx";
import { callerOf, type UiEnv } from "./layout.tsx";
import { appScriptOf, scriptHref, scriptPage, UtcTime } from "./script_shell.tsx";
import {
  type Diagnostic,
  diagnosticsOf,
  DiagnosticsView,
  DiffView,
  SOURCE_ERRORS,
  SOURCE_FIELD,
} from "./source_view.tsx";

interface CodeState {
  source?: string;
  errors?: FieldErrors;
  diagnostics?: Diagnostic[];
  status?: ContentfulStatusCode;
}

/** Binds the Code and Versions sections under `/apps/:slug/scripts/:id`. */
export function bindScriptCode(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  ui.get("/apps/:slug/scripts/:id", async (c) => {
    const { app, script } = await appScriptOf(c, deps);
    return await codePage(c, deps, app, script);
  });

  ui.post("/apps/:slug/scripts/:id/deploy", async (c) => {
    const { app, script } = await appScriptOf(c, deps);
    const form = await formOf(c);
    // Browsers post a textarea's line breaks as CRLF; the source keeps the author's LF.
    const source = (form.source ?? "").replaceAll("\r\n", "\n");
    try {
      const input = parseForm(createVersion, { source });
      const v = await deployVersion(deps, callerOf(c)!, script.id, input.source);
      return c.redirect(`${scriptHref(app, script)}?deployed=${v.version}`, 303);
    } catch (err) {
      const errors = fieldErrors(err, SOURCE_FIELD);
      const diagnostics = err instanceof ApiError && SOURCE_ERRORS.has(err.code)
        ? diagnosticsOf(err.details)
        : undefined;
      return await codePage(c, deps, app, script, {
        source,
        errors,
        diagnostics,
        status: errorStatus(err),
      });
    }
  });

  ui.get("/apps/:slug/scripts/:id/versions", async (c) => {
    const { app, script } = await appScriptOf(c, deps);
    return await versionsPage(c, deps, app, script);
  });

  ui.get("/apps/:slug/scripts/:id/versions/:n/activate", async (c) => {
    const { app, script } = await appScriptOf(c, deps);
    const { n } = parseForm(versionParams, { id: script.id, n: c.req.param("n") });
    const v = await getVersion(deps, callerOf(c)!, script.id, n);
    return scriptPage(
      c,
      { app, script, section: "versions" },
      <ConfirmForm
        action={`${scriptHref(app, script, "versions")}/${v.version}/activate`}
        question={`Make version ${v.version} the active one?`}
        button={`Activate version ${v.version}`}
        cancel={scriptHref(app, script, "versions")}
      >
        <p>
          Every request runs version {v.version} from the next one on
          {script.active_version !== null && <>(instead of version {script.active_version})</>}. You
          can switch back at any time.
        </p>
      </ConfirmForm>,
    );
  });

  ui.post("/apps/:slug/scripts/:id/versions/:n/activate", async (c) => {
    const { app, script } = await appScriptOf(c, deps);
    const { n } = parseForm(versionParams, { id: script.id, n: c.req.param("n") });
    const v = await activateVersion(deps, callerOf(c)!, script.id, n);
    return c.redirect(`${scriptHref(app, script, "versions")}?activated=${v.version}`, 303);
  });
}

/** A flash message from the query of a redirect (`?deployed=N`, `?activated=N`). */
function noticeOf(c: Context<UiEnv>): string | undefined {
  const deployed = Number(c.req.query("deployed"));
  if (Number.isInteger(deployed) && deployed > 0) return `Version ${deployed} deployed`;
  const activated = Number(c.req.query("activated"));
  if (Number.isInteger(activated) && activated > 0) return `Version ${activated} is now active`;
  return undefined;
}

async function codePage(
  c: Context<UiEnv>,
  deps: ManagerDeps,
  app: AppView,
  script: ScriptRow,
  s: CodeState = {},
): Promise<Response> {
  const p = callerOf(c)!;
  const deployer = can(p, "script.deploy", { appId: app.id });
  const active = script.active_version === null
    ? null
    : await getVersion(deps, p, script.id, script.active_version);
  const source = s.source ?? active?.source ?? "";
  const errors = s.errors ?? {};
  return scriptPage(
    c,
    {
      app,
      script,
      section: "code",
      status: s.status,
      notice: noticeOf(c),
      islands: deployer ? ["editor"] : undefined,
    },
    <section class="panel">
      <h2>{deployer ? "Code and deploy" : "Code"}</h2>
      {active && (
        <p class="hint">
          {s.source === undefined
            ? (
              <>
                Showing version {active.version}, deployed <UtcTime d={active.created_at} />.
              </>
            )
            : <>Showing the source you posted; version {active.version} is still active.</>}
        </p>
      )}
      {deployer
        ? (
          <form method="post" action={`${scriptHref(app, script)}/deploy`}>
            <FormError errors={errors.source ? {} : errors} />
            <div class="field">
              <label for="deploy-source">Source</label>
              <textarea
                id="deploy-source"
                name="source"
                rows={20}
                wrap="off"
                spellcheck={false}
                class="source"
                data-island="editor"
                data-language="typescript"
                data-diagnostics={JSON.stringify(s.diagnostics ?? [])}
                aria-invalid={errors.source ? "true" : undefined}
                aria-describedby={errors.source ? "deploy-source-error" : undefined}
              >
                {source}
              </textarea>
              {s.diagnostics && s.diagnostics.length > 0
                ? (
                  <div id="deploy-source-error">
                    <DiagnosticsView source={source} diagnostics={s.diagnostics} />
                  </div>
                )
                : errors.source && <p class="error" id="deploy-source-error">{errors.source}</p>}
            </div>
            <div class="actions">
              <button type="submit">Deploy new version</button>
              <span class="hint">Checked in the sandbox first; live on the next request.</span>
            </div>
          </form>
        )
        : <pre class="source-view"><code>{source}</code></pre>}
      {can(p, "script.write", { appId: app.id }) && (
        <p class="danger-zone">
          <a href={`${scriptHref(app, script)}/delete`}>Delete this script…</a>
        </p>
      )}
    </section>,
  );
}

/** The email of each user who deployed a version, where the caller may see the app's members. */
async function authorsOf(
  deps: ManagerDeps,
  c: Context<UiEnv>,
  app: AppView,
): Promise<Map<string, string>> {
  const me = c.get("me");
  const out = new Map<string, string>();
  if (me) out.set(me.user.id, me.user.email);
  try {
    for (const m of await listMembers(deps, callerOf(c)!, app.slug)) out.set(m.user_id, m.email);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
  }
  return out;
}

async function versionsPage(
  c: Context<UiEnv>,
  deps: ManagerDeps,
  app: AppView,
  script: ScriptRow,
): Promise<Response> {
  const p = callerOf(c)!;
  const deployer = can(p, "script.deploy", { appId: app.id });
  const [versions, authors] = await Promise.all([
    listVersions(deps, p, script.id),
    authorsOf(deps, c, app),
  ]);
  const base = scriptHref(app, script, "versions");
  const numbers = versions.map((v) => v.version);
  const pick = (raw: string | undefined, fallback: number | undefined) => {
    const n = Number(raw);
    return numbers.includes(n) ? n : fallback;
  };
  // By default: the active version against the one before it.
  const to = pick(c.req.query("to"), script.active_version ?? numbers[0]);
  const from = pick(c.req.query("from"), numbers.find((n) => to !== undefined && n < to));
  const asked = c.req.query("from") !== undefined || c.req.query("to") !== undefined;
  const [before, after] = from !== undefined && to !== undefined
    ? await Promise.all([getVersion(deps, p, script.id, from), getVersion(deps, p, script.id, to)])
    : [null, null];
  return scriptPage(
    c,
    { app, script, section: "versions", notice: noticeOf(c) },
    <>
      <section class="panel">
        <h2>Versions</h2>
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Created</th>
              <th scope="col">By</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr>
                <td class="mono">v{v.version}</td>
                <td>
                  <UtcTime d={v.created_at} />
                </td>
                <td>
                  {v.created_by === null
                    ? <span class="empty">unknown</span>
                    : authors.get(v.created_by) ?? (
                      <span class="mono" title={v.created_by}>{v.created_by.slice(0, 8)}</span>
                    )}
                </td>
                <td>
                  {v.active
                    ? <span class="badge active">active</span>
                    : deployer && <a href={`${base}/${v.version}/activate`}>Activate…</a>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="panel">
        <h2>Compare versions</h2>
        {versions.length < 2 ? <p class="empty">There is only one version.</p> : (
          <>
            <form method="get" action={base} class="row">
              <div class="field">
                <label for="diff-from">From</label>
                <select id="diff-from" name="from">
                  {numbers.map((n) => (
                    <option key={n} value={String(n)} selected={n === from}>v{n}</option>
                  ))}
                </select>
              </div>
              <div class="field">
                <label for="diff-to">To</label>
                <select id="diff-to" name="to">
                  {numbers.map((n) => (
                    <option key={n} value={String(n)} selected={n === to}>v{n}</option>
                  ))}
                </select>
              </div>
              <div class="field submit">
                <button type="submit" class="secondary">Compare</button>
              </div>
            </form>
            {before && after && (
              <div class="diff-wrap" id={asked ? "diff" : undefined}>
                <p class="hint">
                  <span class="removed-key">−</span> v{before.version}{"  "}
                  <span class="added-key">+</span> v{after.version}
                </p>
                <DiffView
                  before={before.source ?? ""}
                  after={after.source ?? ""}
                  label={`Changes from version ${before.version} to version ${after.version}`}
                />
              </div>
            )}
          </>
        )}
      </section>
    </>,
  );
}
