/** @module Admin authorization for this slice: a bootstrap bearer token from the environment. */
import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "node:crypto";
import { ApiError } from "../common/errors.ts";

const enc = new TextEncoder();

async function digest(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(s)));
}

/**
 * Requires `Authorization: Bearer <PICLOUD_ADMIN_TOKEN>`. Both sides are hashed before a
 * constant-time comparison so neither the token's content nor its length leaks through timing.
 * Without a configured token every admin call is refused.
 */
export function requireAdminToken(token: string | undefined): MiddlewareHandler {
  const expected = token === undefined ? undefined : digest(token);
  return async (_c, next) => {
    if (expected === undefined) {
      throw new ApiError(401, "admin_disabled", "Set PICLOUD_ADMIN_TOKEN to enable the admin API");
    }
    const header = _c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new ApiError(401, "unauthorized", "A bearer token is required");
    if (!timingSafeEqual(await digest(m[1]), await expected)) {
      throw new ApiError(401, "unauthorized", "The bearer token is not valid");
    }
    await next();
  };
}
