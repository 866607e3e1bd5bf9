/**
 * @module How the console answers an error: a refused or missing thing is a page with the
 * service's message at its status (404, 403, 409…), an expired session goes back to sign-in,
 * and only a platform bug is a 500 page.
 */
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { SESSION_COOKIE } from "../common/console_cookies.ts";
import { ApiError } from "../common/errors.ts";
import type { Logger } from "../common/logging.ts";
import { asApiError } from "./forms.tsx";
import { page, type UiEnv } from "./layout.tsx";

const TITLES: Record<number, string> = {
  400: "Bad request",
  403: "Not allowed",
  404: "Not found",
  409: "Conflict",
  413: "Too large",
  429: "Too many attempts",
};

/** The sign-in page's URL that returns to the current page (or to `/admin` after a post). */
export function loginRedirect(c: Context): Response {
  const url = new URL(c.req.url);
  const next = c.req.method === "GET" ? url.pathname + url.search : "/admin";
  const params = new URLSearchParams({ next });
  // A cookie that no longer signs in is a session that expired (or was ended elsewhere).
  if (getCookie(c, SESSION_COOKIE)) params.set("expired", "1");
  return c.redirect(`/admin/login?${params}`, 303);
}

/** A page with a title, a message and a way back. */
export function messagePage(
  c: Context<UiEnv>,
  status: ContentfulStatusCode,
  message: string,
): Response {
  const title = TITLES[status] ?? (status >= 500 ? "Something went wrong" : "Error");
  return page(
    c,
    { title, status, crumbs: [{ label: "Apps", href: "/admin" }, { label: title }] },
    <section class="panel">
      <h1>{title}</h1>
      <p role="alert">{message}</p>
      <p>
        <a href="/admin">Back to your apps</a>
      </p>
    </section>,
  );
}

/** The console's `onError`: typed errors become pages, anything else a logged 500 page. */
export function uiErrorHandler(log: Logger) {
  return (e: Error, c: Context<UiEnv>): Response => {
    const err = asApiError(e);
    if (err instanceof ApiError) {
      if (err.code === "unauthorized") return loginRedirect(c);
      for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
      return messagePage(c, err.status, err.message);
    }
    log.error("unhandled error in the console", { err: e, path: c.req.path });
    return messagePage(c, 500, "Internal error; the details are in the server log");
  };
}
