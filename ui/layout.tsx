/**
 * @module The one page layout of the console (header with the signed-in user and a sign-out
 * button, breadcrumb, main) and the helper every page renders through.
 */
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Auth } from "../manager/authn.ts";
import { can, type Principal } from "../manager/authz.ts";
import type { Me } from "../manager/sessions/service.ts";

/** The Hono environment of the console's routes. */
export type UiEnv = {
  Variables: {
    auth: Auth;
    /** The versioned stylesheet's URL. */
    css: string;
    /** Island name → its bundle's versioned URL (empty when the islands were not built). */
    islands: ReadonlyMap<string, string>;
    /** The signed-in user (null on the sign-in and setup pages). */
    me: Me | null;
  };
};

/** One breadcrumb: a label, and a link unless it is the current page. */
export interface Crumb {
  label: string;
  href?: string;
}

/** What the layout needs besides the page's own content. */
export interface PageMeta {
  title: string;
  crumbs?: Crumb[];
  status?: ContentfulStatusCode;
  /** Islands this page hydrates (`ui/islands/<name>.ts`); none means the page sends no script. */
  islands?: string[];
}

/** Renders a full page with the layout. */
export function page(c: Context<UiEnv>, meta: PageMeta, body: Child): Response {
  const me = c.get("me") ?? null;
  const p = callerOf(c);
  const built = c.get("islands");
  const scripts = (meta.islands ?? []).map((n) => built?.get(n)).filter((s) => s !== undefined);
  const html = "<!doctype html>" + String(
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{meta.title} · PiCloud</title>
        <link rel="stylesheet" href={c.get("css")} />
        {/* No icon: an empty one, so browsers do not ask for /favicon.ico. */}
        <link rel="icon" href="data:," />
        {
          // hono/jsx would render a `key` as an attribute; the list is static anyway.
          // deno-lint-ignore jsx-key
          scripts.map((src) => <script type="module" src={src}></script>)
        }
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/admin">PiCloud</a>
          {me && (
            <div class="who">
              {can(p, "user.read") && <a href="/admin/users">Users</a>}
              {can(p, "audit.read") && <a href="/admin/audit">Audit</a>}
              {can(p, "system.read") && <a href="/admin/system">System</a>}
              <a href="/admin/api-keys">API keys</a>
              <span class="email">{me.user.email}</span>
              <form method="post" action="/admin/logout">
                <button type="submit" class="secondary">Sign out</button>
              </form>
            </div>
          )}
        </header>
        {meta.crumbs && meta.crumbs.length > 0 && (
          <nav class="crumbs" aria-label="Breadcrumb">
            <ol>
              {meta.crumbs.map((cr) => (
                <li>
                  {cr.href ? <a href={cr.href}>{cr.label}</a> : (
                    <span aria-current="page">
                      {cr.label}
                    </span>
                  )}
                </li>
              ))}
            </ol>
          </nav>
        )}
        <main>{body}</main>
      </body>
    </html>,
  );
  c.header("cache-control", "no-store");
  return c.html(html, meta.status ?? 200);
}

/** The signed-in principal of a console request (null when anonymous). */
export function callerOf(c: Context<UiEnv>): Principal | null {
  return c.get("auth")?.principal ?? null;
}
