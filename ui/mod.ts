/**
 * @module The web console under `/admin`: server-rendered pages, no JavaScript, calling the same
 * services as the REST API with the same session cookie and the same CSRF rule.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../common/errors.ts";
import { MAX_SOURCE_BYTES } from "../manager/scripts/schemas.ts";
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
import { bindSystemPage } from "./system_page.tsx";
import { bindTryPage } from "./try_page.tsx";
import { bindUsersPage } from "./users_page.tsx";
import { bindStatic, loadConsoleCss, loadIslands } from "./static.ts";

/** Largest form a console page accepts, in bytes (every form is a few short fields). */
export const UI_MAX_BODY_BYTES = 64 * 1024;
/**
 * Largest form carrying a script's source: the API's source limit, URL-encoded (up to 3 bytes
 * per byte), plus the other fields.
 */
export const UI_MAX_SOURCE_FORM_BYTES = 3 * MAX_SOURCE_BYTES + UI_MAX_BODY_BYTES;
/** The forms that post a source: a new script, and a deploy. */
const SOURCE_FORMS = /^\/admin\/apps\/[^/]+\/scripts(?:\/[^/]+\/deploy)?$/;

function limitTo(maxSize: number) {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError("body_too_large", "The form is too large", { limit_bytes: maxSize });
    },
  });
}

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The console's Content-Security-Policy: scripts only from this origin (the island bundles), no
 * inline script, no plugins, no framing, forms post only here.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Builds the console's router, to be mounted at `/admin` on the console origin; `dispatchDeps`
 * run scripts for the "try it" page.
 */
export function createConsoleUi(deps: ManagerDeps, dispatchDeps: DispatchDeps): Hono {
  const css = loadConsoleCss();
  const islands = loadIslands();
  if (islands.size === 0) deps.log.warn("console islands are not built (run deno task build)");
  const islandHrefs = new Map([...islands].map(([name, a]) => [name, a.href]));
  const origin = { trustedProxies: createTrustedProxies(deps.config.trustedProxies ?? []) };
  const ui = new Hono<UiEnv>();
  ui.onError(uiErrorHandler(deps.log));
  bindStatic(ui as unknown as Hono, [css, ...islands.values()]);
  ui.use(async (c, next) => {
    await next();
    if (!c.res.headers.has("content-security-policy")) {
      c.res.headers.set("content-security-policy", CONSOLE_CSP);
    }
  });
  ui.use(async (c, next) => {
    c.set("css", css.href);
    c.set("islands", islandHrefs);
    c.set("me", null);
    await next();
  });
  ui.use(urlGuard());
  const formLimit = limitTo(UI_MAX_BODY_BYTES);
  // A script's source may be as large as the API allows; such forms are read only once the
  // caller is known (below), like the API's large bodies.
  ui.use((c, next) => SOURCE_FORMS.test(c.req.path) ? next() : formLimit(c, next));
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
  const sourceLimit = limitTo(UI_MAX_SOURCE_FORM_BYTES);
  ui.use((c, next) => SOURCE_FORMS.test(c.req.path) ? sourceLimit(c, next) : next());
  bindAppsPages(ui, deps);
  bindAppPages(ui, deps);
  bindTryPage(ui, deps, dispatchDeps);
  bindApiKeysPage(ui, deps);
  bindUsersPage(ui, deps);
  bindAuditPage(ui, deps);
  bindSystemPage(ui, deps);
  ui.all("*", (c) => messagePage(c, 404, "There is no page at this address"));
  return ui as unknown as Hono;
}
