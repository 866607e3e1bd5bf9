/**
 * @module The frame of every app page: the app's title, its tabs as links, the old-slug
 * redirect, and the confirmation step of destructive actions.
 */
import type { Child } from "hono/jsx";
import type { Context, MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type AppView, currentSlugOf } from "../manager/apps/service.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import { callerOf, type Crumb, page, type UiEnv } from "./layout.tsx";

/** The app page's tabs, in the order shown. */
export const TABS = [
  { id: "overview", label: "Overview" },
  { id: "scripts", label: "Scripts" },
  { id: "routes", label: "Routes" },
  { id: "schedules", label: "Schedules" },
  { id: "logs", label: "Logs" },
  { id: "domains", label: "Domains" },
  { id: "members", label: "Members" },
  { id: "settings", label: "Settings" },
] as const;

/** One of the app page's tabs. */
export type TabId = typeof TABS[number]["id"];

/**
 * An old slug answers 308 to the same page under the app's new slug, for callers who can see the
 * app (the same rule as the API's: others get the app's 404).
 */
export function redirectOldSlug(deps: ManagerDeps): MiddlewareHandler<UiEnv> {
  return async (c, next) => {
    const ref = c.req.param("slug") ?? "";
    const slug = await currentSlugOf(deps, callerOf(c), ref);
    if (slug === null) return await next();
    const url = new URL(c.req.url);
    const path = url.pathname.replace(`/apps/${ref}`, `/apps/${slug}`);
    return c.redirect(path + url.search, 308);
  };
}

/**
 * Renders an app page: title, tabs, then the tab's content. `sub` names a page inside the tab
 * (e.g. one script), which then ends the breadcrumb after a link to the tab.
 */
export function appPage(
  c: Context<UiEnv>,
  o: {
    app: AppView;
    tab: TabId;
    status?: ContentfulStatusCode;
    sub?: string;
    /** Islands the page hydrates (see `PageMeta.islands`). */
    islands?: string[];
  },
  body: Child,
): Response {
  const base = `/admin/apps/${o.app.slug}`;
  const label = TABS.find((t) => t.id === o.tab)!.label;
  const crumbs: Crumb[] = [{ label: "Apps", href: "/admin" }, { label: o.app.name, href: base }];
  if (o.sub === undefined) crumbs.push({ label });
  else crumbs.push({ label, href: `${base}/${o.tab}` }, { label: o.sub });
  return page(
    c,
    {
      title: `${o.sub ? `${o.sub} · ` : ""}${label} · ${o.app.name}`,
      status: o.status,
      crumbs,
      islands: o.islands,
    },
    <>
      <h1>
        {o.app.name} <span class="badge mono">{o.app.slug}</span>
      </h1>
      <nav class="tabs" aria-label="App sections">
        {TABS.map((t) => (
          <a href={`${base}/${t.id}`} aria-current={t.id === o.tab ? "page" : undefined}>
            {t.label}
          </a>
        ))}
      </nav>
      {body}
    </>,
  );
}

/** A destructive action's confirmation: what will happen, a confirm button and a way back. */
export function ConfirmForm(p: {
  action: string;
  question: string;
  button: string;
  cancel: string;
  children?: Child;
}) {
  return (
    <section class="panel">
      <h2>{p.question}</h2>
      <form method="post" action={p.action}>
        {p.children}
        <div class="actions">
          <button type="submit" class="danger">{p.button}</button>
          <a href={p.cancel}>Cancel</a>
        </div>
      </form>
    </section>
  );
}
