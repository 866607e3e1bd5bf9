/**
 * @module The console's own cookies (session, known device), which user code must never receive
 * or set: browsers send a host's cookies to every port of it, the tenant port included.
 */
/** The session cookie's name. */
export const SESSION_COOKIE = "picloud_session";

/** The cookie that carries a known-device token to `/login` only. */
export const DEVICE_COOKIE = "picloud_device";

const CONSOLE_COOKIES = new Set(
  [SESSION_COOKIE, DEVICE_COOKIE].flatMap((n) => [n, `__Host-${n}`, `__Secure-${n}`]),
);

/** Whether a cookie name is one of the console's. */
export function isConsoleCookie(name: string): boolean {
  return CONSOLE_COOKIES.has(name.trim());
}

/** A `Cookie` header without the console's cookies: `a=1; picloud_session=…; b=2` → `a=1; b=2`. */
export function withoutConsoleCookies(cookie: string): string {
  return cookie.split(";").filter((pair) => !isConsoleCookie(pair.split("=", 1)[0]))
    .map((p) => p.trim()).filter((p) => p !== "").join("; ");
}
