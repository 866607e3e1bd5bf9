/** @module Tests of the console's cookie filter. */
import assert from "node:assert/strict";
import { isConsoleCookie, withoutConsoleCookies } from "./console_cookies.ts";

Deno.test("withoutConsoleCookies() - keeps every other cookie", () => {
  assert.equal(withoutConsoleCookies("picloud_session=x"), "");
  assert.equal(withoutConsoleCookies("a=1;picloud_session=x;b=2"), "a=1; b=2");
  assert.equal(
    withoutConsoleCookies("xpicloud_session=1; a=picloud_session"),
    "xpicloud_session=1; a=picloud_session",
  );
});

Deno.test("isConsoleCookie() - the session and device cookies with or without a prefix", () => {
  for (const name of ["picloud_session", "__Host-picloud_session", " picloud_device"]) {
    assert.ok(isConsoleCookie(name), name);
  }
  assert.ok(!isConsoleCookie("theme"));
});
