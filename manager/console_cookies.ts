/**
 * @module Forwarding shim: the console's cookies now live in `common/console_cookies.ts`. Kept
 * only so files rewritten elsewhere at the same time (`authn.ts`) still compile; delete it once
 * they import from `common/`.
 */
export * from "../common/console_cookies.ts";
