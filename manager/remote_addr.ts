/**
 * @module Forwarding shim: the client address now lives in `common/remote_addr.ts`. Kept only so
 * files rewritten elsewhere at the same time (`authn.ts`, `sessions/api.ts`) still compile;
 * delete it once they import from `common/`.
 */
export * from "../common/remote_addr.ts";
