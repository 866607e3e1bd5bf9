/**
 * @module Sign-in, sign-out and first-run setup pages. The flows are the sessions and setup
 * services'; the cookies are set by the same code as the API's login.
 */
import type { Context, Hono } from "hono";
import { getCookie } from "hono/cookie";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { ApiError } from "../common/errors.ts";
import { createTrustedProxies, remoteAddrOf, requestScheme } from "../common/remote_addr.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import { clearSessionCookie, setSessionCookies } from "../manager/sessions/cookies.ts";
import { DEVICE_COOKIE } from "../manager/sessions/device_token.ts";
import { login, logout } from "../manager/sessions/service.ts";
import { completeSetup } from "../manager/setup/service.ts";
import { userFields } from "../manager/users/api.ts";
import {
  Field,
  type FieldErrors,
  fieldErrors,
  FormError,
  formOf,
  parseForm,
  safeNext,
} from "./forms.tsx";
import { callerOf, page, type UiEnv } from "./layout.tsx";
import { loginRedirect } from "./errors.tsx";

const loginForm = z.object({ email: z.string().max(320), password: z.string().max(1024) });
const setupForm = z.object({
  token: z.string().min(1).max(200),
  email: userFields.email,
  password: userFields.password,
  display_name: userFields.display_name.default(""),
});

/** Binds `/login`, `/logout` and `/setup` (the first two reachable without a session). */
export function bindAuthPages(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  const addrOpts = { trustedProxies: createTrustedProxies(deps.config.trustedProxies ?? []) };
  const secure = (c: Context) => requestScheme(c, addrOpts) === "https";

  /** Signs in through the sessions service and sets the cookies as the API does. */
  async function signIn(c: Context, email: string, password: string): Promise<void> {
    const signedIn = await login(deps, {
      email,
      password,
      deviceToken: getCookie(c, DEVICE_COOKIE),
      addr: remoteAddrOf(c, addrOpts).hostname,
      userAgent: c.req.header("user-agent") ?? null,
    });
    setSessionCookies(c, signedIn, secure(c));
  }

  ui.get("/login", (c) => {
    const next = safeNext(c.req.query("next"));
    if (callerOf(c)) return c.redirect(next, 303);
    const notice = c.req.query("expired") ? "Your session has ended; sign in again" : undefined;
    return loginPage(c, { next, notice });
  });

  ui.post("/login", async (c) => {
    const form = await formOf(c);
    const next = safeNext(form.next);
    try {
      const input = parseForm(loginForm, { email: form.email, password: form.password });
      await signIn(c, input.email, input.password);
      return c.redirect(next, 303);
    } catch (err) {
      const errors = fieldErrors(err);
      const status = err instanceof ApiError && err.status === 429 ? 429 : 401;
      if (err instanceof ApiError && err.code === "too_many_attempts") {
        errors._ = `${err.message}: try again in ${err.details?.retry_after_s} s`;
        c.header("Retry-After", String(err.details?.retry_after_s));
      }
      return loginPage(c, { next, email: form.email, errors, status });
    }
  });

  ui.post("/logout", async (c) => {
    const p = callerOf(c);
    if (!p) return loginRedirect(c);
    await logout(deps, p, c.get("auth").sessionId);
    clearSessionCookie(c, secure(c));
    return c.redirect("/admin/login", 303);
  });

  ui.get("/setup", (c) => setupPage(c, { token: c.req.query("token") ?? "" }));

  ui.post("/setup", async (c) => {
    const form = await formOf(c);
    try {
      const input = parseForm(setupForm, {
        token: form.token,
        email: form.email,
        password: form.password,
        display_name: form.display_name ?? "",
      });
      await completeSetup(deps, input);
      await signIn(c, input.email, input.password);
      return c.redirect("/admin", 303);
    } catch (err) {
      const errors = fieldErrors(err, { invalid_setup_token: "_", already_set_up: "_" });
      const status = err instanceof ApiError ? err.status : 400;
      return setupPage(c, { token: form.token ?? "", form, errors, status });
    }
  });
}

function loginPage(c: Context<UiEnv>, o: {
  next: string;
  email?: string;
  notice?: string;
  errors?: FieldErrors;
  status?: 401 | 429;
}): Response {
  const errors = o.errors ?? {};
  return page(
    c,
    { title: "Sign in", status: o.status },
    <section class="panel narrow">
      <h1>Sign in</h1>
      {o.notice && <p class="alert notice" role="status">{o.notice}</p>}
      <FormError errors={errors} />
      <form method="post" action="/admin/login">
        <input type="hidden" name="next" value={o.next} />
        <Field
          name="email"
          label="Email"
          type="email"
          value={o.email}
          error={errors.email}
          autocomplete="username"
          required
        />
        <Field
          name="password"
          label="Password"
          type="password"
          error={errors.password}
          autocomplete="current-password"
          required
        />
        <button type="submit">Sign in</button>
      </form>
    </section>,
  );
}

function setupPage(c: Context<UiEnv>, o: {
  token: string;
  form?: Record<string, string>;
  errors?: FieldErrors;
  status?: ContentfulStatusCode;
}): Response {
  const errors = o.errors ?? {};
  return page(
    c,
    { title: "Set up PiCloud", status: o.status },
    <section class="panel narrow">
      <h1>Set up PiCloud</h1>
      <p class="hint">Create the first owner of this instance.</p>
      <FormError errors={errors} />
      <form method="post" action="/admin/setup">
        <input type="hidden" name="token" value={o.token} />
        <Field
          name="email"
          label="Email"
          type="email"
          value={o.form?.email}
          error={errors.email}
          autocomplete="username"
          required
        />
        <Field
          name="display_name"
          label="Name (optional)"
          value={o.form?.display_name}
          error={errors.display_name}
          autocomplete="name"
        />
        <Field
          name="password"
          label="Password"
          type="password"
          hint="At least 8 characters"
          error={errors.password}
          autocomplete="new-password"
          required
        />
        <button type="submit">Create owner and sign in</button>
      </form>
    </section>,
  );
}
