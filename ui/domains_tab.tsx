/**
 * @module The app's Domains tab: the claims for everyone who sees the app; claim and release
 * (with a confirmation step) for app admins only — the service refuses the rest.
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../common/errors.ts";
import { type AppView, getApp } from "../manager/apps/service.ts";
import { can } from "../manager/authz.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import { claimDomainBody } from "../manager/domains/api.ts";
import { claimDomain, listDomains, releaseDomain } from "../manager/domains/service.ts";
import { appPage, ConfirmForm } from "./app_shell.tsx";
import { Field, type FieldErrors, fieldErrors, FormError, formOf, parseForm } from "./forms.tsx";
import { callerOf, type UiEnv } from "./layout.tsx";

const PATTERN_ERRORS = {
  domain_taken: "pattern",
  domain_reserved: "pattern",
  invalid_domain: "pattern",
};

/** Binds the Domains tab under `/apps/:slug/domains`. */
export function bindDomainsTab(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  const appOf = async (c: Context<UiEnv>) => await getApp(deps, callerOf(c)!, c.req.param("slug")!);

  ui.get("/apps/:slug/domains", async (c) => await domainsPage(c, deps, await appOf(c)));

  ui.post("/apps/:slug/domains", async (c) => {
    const app = await appOf(c);
    const form = await formOf(c);
    try {
      const input = parseForm(claimDomainBody, { pattern: (form.pattern ?? "").trim() });
      await claimDomain(deps, callerOf(c)!, app.slug, input);
      return c.redirect(`/admin/apps/${app.slug}/domains`, 303);
    } catch (err) {
      const errors = fieldErrors(err, PATTERN_ERRORS);
      const status = err instanceof ApiError ? err.status : 400;
      return await domainsPage(c, deps, app, { errors, pattern: form.pattern, status });
    }
  });

  ui.get("/apps/:slug/domains/:id/release", async (c) => {
    const app = await appOf(c);
    const claim = (await listDomains(deps, callerOf(c)!, app.slug))
      .find((d) => d.id === c.req.param("id"));
    if (!claim) throw new ApiError("domain_not_found", `No such domain in ${app.slug}`);
    const base = `/admin/apps/${app.slug}/domains`;
    return appPage(
      c,
      { app, tab: "domains" },
      <ConfirmForm
        action={`${base}/${claim.id}/release`}
        question={`Release ${claim.pattern}?`}
        button="Release"
        cancel={base}
      >
        <p>Requests for it stop reaching {app.name} at once, and another app may claim it.</p>
      </ConfirmForm>,
    );
  });

  ui.post("/apps/:slug/domains/:id/release", async (c) => {
    const app = await appOf(c);
    await releaseDomain(deps, callerOf(c)!, app.slug, c.req.param("id"));
    return c.redirect(`/admin/apps/${app.slug}/domains`, 303);
  });
}

async function domainsPage(
  c: Context<UiEnv>,
  deps: ManagerDeps,
  app: AppView,
  s: { errors?: FieldErrors; pattern?: string; status?: ContentfulStatusCode } = {},
): Promise<Response> {
  const p = callerOf(c)!;
  const admin = can(p, "domain.write", { appId: app.id });
  const claims = await listDomains(deps, p, app.slug);
  const errors = s.errors ?? {};
  const base = `/admin/apps/${app.slug}/domains`;
  return appPage(
    c,
    { app, tab: "domains", status: s.status },
    <>
      <section class="panel">
        <h2>Domains</h2>
        {claims.length === 0 ? <p class="empty">No domains claimed.</p> : (
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Pattern</th>
                <th scope="col">Kind</th>
                {admin && <th scope="col">Release</th>}
              </tr>
            </thead>
            <tbody>
              {claims.map((d) => (
                <tr>
                  <td class="mono">{d.pattern}</td>
                  <td>
                    <span class="badge">{d.kind}</span>
                  </td>
                  {admin && (
                    <td>
                      <a href={`${base}/${d.id}/release`}>Release…</a>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {admin && (
        <section class="panel">
          <h2>Claim a domain</h2>
          <FormError errors={errors} />
          <form method="post" action={base} class="row">
            <Field
              name="pattern"
              label="Domain"
              value={s.pattern}
              error={errors.pattern}
              hint="An exact host, *.example.com or {name}.example.com"
              required
            />
            <div class="field submit">
              <button type="submit">Claim</button>
            </div>
          </form>
        </section>
      )}
    </>,
  );
}
