/** @module A browser-like client of the console for in-process page tests (`app.request()`). */
import assert from "node:assert/strict";
import type { TestPlatform } from "../testing/platform.ts";

const SAME = { "sec-fetch-site": "same-origin" };

/** A browser-like client: keeps the session cookie, posts forms from this origin. */
export function browser(t: TestPlatform) {
  let cookie = "";
  const send = async (
    method: string,
    path: string,
    form?: Record<string, string>,
    headers = {},
  ) => {
    const res = await t.p.console.request(`http://localhost${path}`, {
      method,
      redirect: "manual",
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(form ? { "content-type": "application/x-www-form-urlencoded", ...SAME } : {}),
        ...headers,
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      // Only the cookie at Path=/ (sign-in also clears an old API-scoped one).
      if (!pair.startsWith("picloud_session=") || !/Path=\/(;|$)/.test(line)) continue;
      cookie = /Max-Age=0(;|$)/.test(line) ? "" : pair;
    }
    return { status: res.status, location: res.headers.get("location"), html: await res.text() };
  };
  return {
    get: (path: string, headers = {}) => send("GET", path, undefined, headers),
    post: (path: string, form: Record<string, string>, headers = {}) =>
      send("POST", path, form, headers),
    async signIn(email: string, password: string) {
      const r = await send("POST", "/admin/login", { email, password, next: "/admin" });
      assert.equal(r.status, 303, r.html);
    },
  };
}
