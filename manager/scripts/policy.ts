/** @module Script policy: the request schema, and the check that limits stay within platform caps. */
import { z } from "zod";
import type { LimitDefaults } from "../../common/config.ts";
import { ApiError } from "../../common/errors.ts";

/** `host` or `host:port` (IPv6 in brackets); no scheme, path or wildcard. */
const HOST =
  /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*)(:\d{1,5})?$/;

const positive = z.number().int().positive();

/** Body of `PUT /scripts/{id}/policy`; omitted fields take the platform default. */
export const policySchema = z.strictObject({
  timeoutMs: positive.optional(),
  memoryLimitMb: positive.optional(),
  maxBodyBytes: positive.optional(),
  maxConcurrency: positive.optional(),
  allowedHosts: z.array(
    z.string().max(260).regex(HOST, "Use host or host:port (no scheme or path)").refine(
      (h) => !/:(\d+)$/.test(h) || Number(/:(\d+)$/.exec(h)![1]) <= 65535,
      "Port must be at most 65535",
    ),
  ).max(100).optional(),
});

/** A validated policy. */
export type Policy = z.infer<typeof policySchema>;

const LIMIT_FIELDS = ["timeoutMs", "memoryLimitMb", "maxBodyBytes", "maxConcurrency"] as const;

/** Refuses a limit above its platform cap with 400 `limit_exceeds_cap` naming the field and cap. */
export function checkCaps(policy: Policy, caps: LimitDefaults): void {
  for (const field of LIMIT_FIELDS) {
    const value = policy[field];
    if (value !== undefined && value > caps[field]) {
      throw new ApiError(
        "limit_exceeds_cap",
        `${field} exceeds the platform cap of ${caps[field]}`,
        { field, cap: caps[field], value },
      );
    }
  }
}

/** The policy with hosts lowercased and deduplicated, as stored. */
export function normalizePolicy(policy: Policy): Policy {
  const out: Policy = { ...policy };
  if (policy.allowedHosts) {
    out.allowedHosts = [...new Set(policy.allowedHosts.map((h) => h.toLowerCase()))];
  }
  return out;
}
