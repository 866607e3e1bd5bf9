/**
 * @module The web console under `/admin`: server-rendered pages, no JavaScript, calling the same
 * services as the REST API with the same session cookie and the same CSRF rule.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../common/errors.ts";
import { createTrustedProxies } from "../common/remote_addr.ts";
import { assertSameOrigin, authenticate } from "../manager/authn.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import type { DispatchDeps } from "../orchestrator/mod.ts";
import { me } from "../manager/sessions/service.ts";
import { urlGuard } from "../manager/validate.ts";
import { bindApiKeysPage } from "./api_keys_page.tsx";
import { bindAppPages } from "./app_pages.tsx";
import { bindAppsPages } from "./apps_pages.tsx";
import { bindAuditPage } from "./audit_page.tsx";
import { bindAuthPages } from "./auth_pages.tsx";
import { loginRedirect, messagePage, uiErrorHandler } from "./errors.tsx";
import { callerOf, type UiEnv } from "./layout.tsx";
import { bindTryPage } from "./try_page.tsx";
import { bindUsersPage } from "./users_page.tsx";
import { bindStatic, loadConsoleCss } from "./static.ts";

/** Largest form a console page accepts, in bytes (every form is a few short fields). */
export const UI_MAX_BODY_BYTES = 64 * 1024;

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Builds the console's router, to be mounted at `/admin` on the console origin; `dispatchDeps`
 * run scripts for the "try it" page.
 */
export function createConsoleUi(deps: ManagerDeps, dispatchDeps: DispatchDeps): Hono {
  const css = loadConsoleCss();
  const origin = { trustedProxies: createTrustedProxies(deps.config.trustedProxies ?? []) };
  const ui = new Hono<UiEnv>();
  ui.onError(uiErrorHandler(deps.log));
  bindStatic(ui as unknown as Hono, [css]);
  ui.use(async (c, next) => {
    c.set("css", css.href);
    c.set("me", null);
    await next();
  });
  ui.use(urlGuard());
  ui.use(bodyLimit({
    maxSize: UI_MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError("body_too_large", "The form is too large", {
        limit_bytes: UI_MAX_BODY_BYTES,
      });
    },
  }));
  // Every unsafe request must come from this origin, signed in or not: the sign-in and setup
  // forms included (a cross-site post could otherwise sign a victim into someone's account).
  ui.use(async (c, next) => {
    if (!safeMethods.has(c.req.method)) assertSameOrigin(c, origin);
    await next();
  });
  ui.use(authenticate(deps));
  bindAuthPages(ui, deps);

  // Everything below needs a signed-in user.
  ui.use(async (c, next) => {
    const p = callerOf(c);
    if (!p) return loginRedirect(c);
    c.set("me", await me(deps, p));
    await next();
  });
  bindAppsPages(ui, deps);
  bindAppPages(ui, deps);
  bindTryPage(ui, deps, dispatchDeps);
  bindApiKeysPage(ui, deps);
  bindUsersPage(ui, deps);
  bindAuditPage(ui, deps);
  ui.all("*", (c) => messagePage(c, 404, "There is no page at this address"));
  return ui as unknown as Hono;
}
