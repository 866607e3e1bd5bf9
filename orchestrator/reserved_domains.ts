/**
 * @module Which domain claims are never granted to an app: those covering a console host (tenant
 * code must never answer on the console's origin) and wildcard or parameter claims spanning a whole
 * public suffix (`*.com`, `{x}.co.uk`, `*.github.io`, or any unknown top-level label like `*.test`).
 */
import { matchDomainPattern } from "./host_table.ts";
import type { DomainPattern } from "./domain_pattern.ts";

/** Why a claim is refused. */
export interface Reservation {
  /** `console_host`: it would match a console host; `public_suffix`: it spans a public suffix. */
  reason: "console_host" | "public_suffix";
  /** The console host it covers, or the public suffix it spans. */
  name: string;
}

/**
 * The reason `claim` may not be granted, or null. `consoleHosts` are normalised host names (the
 * `PICLOUD_CONSOLE_HOSTS` list). The suffix list (~17 MB in memory) is loaded on the first
 * wildcard or parameter claim, not at start.
 */
export async function reservationOf(
  claim: DomainPattern,
  consoleHosts: readonly string[],
): Promise<Reservation | null> {
  for (const host of consoleHosts) {
    if (claim.pattern === host || matchDomainPattern(claim, host)) {
      return { reason: "console_host", name: host };
    }
  }
  if (claim.kind === "exact") return null;
  // The fixed labels right of the last `*` or `{param}`: if they are a public suffix, the claim
  // reaches into every registrable domain under it. The list's default rule makes any unknown
  // single label (`test`, `localhost`, `internal`) a suffix too.
  const labels = claim.pattern.split(".");
  let last = -1;
  labels.forEach((l, i) => {
    if (l === "*" || l.startsWith("{")) last = i;
  });
  const anchor = labels.slice(last + 1).join(".");
  const { getPublicSuffix } = await import("tldts");
  const suffix = getPublicSuffix(anchor, { allowPrivateDomains: true });
  if (anchor === "" || suffix === anchor) return { reason: "public_suffix", name: anchor };
  return null;
}
