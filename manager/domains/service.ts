/**
 * @module The domains service: list, claim and release an app's domain patterns. A claim is one
 * insert that does nothing on conflict of its shape key, so two apps claiming equivalent patterns
 * at once get exactly one claim and one 409 `domain_taken`. No HTTP here.
 */
import { ApiError } from "../../common/errors.ts";
import {
  type DomainPattern,
  DomainPatternError,
  parseDomainPattern,
} from "../../orchestrator/mod.ts";
import { reservationOf } from "../../orchestrator/mod.ts";
import { appFor } from "../apps/service.ts";
import { UUID_SHAPE } from "../apps/slugs.ts";
import { recordChange } from "../audit/service.ts";
import { effectiveAppRole, type Principal } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import {
  deleteDomain,
  domainHolder,
  type DomainRow,
  listDomains as listDomainRows,
  tryInsertDomain,
} from "./repo.ts";

type Deps = Pick<ManagerDeps, "sql" | "routing" | "config">;

/** The app's claims, by pattern. */
export async function listDomains(
  deps: Pick<Deps, "sql">,
  p: Principal,
  ref: string,
): Promise<DomainRow[]> {
  const app = await appFor(deps, p, ref, "domain.read");
  return await listDomainRows(deps.sql, app.id);
}

/** Claims a pattern for the app; routing picks it up at once. */
export async function claimDomain(
  deps: Deps,
  p: Principal,
  ref: string,
  input: { pattern: string },
): Promise<DomainRow> {
  const app = await appFor(deps, p, ref, "domain.write");
  const parsed = parseClaim(input.pattern);
  await refuseReserved(parsed, deps.config.consoleHosts);
  const row = await deps.sql.begin(async (tx) => {
    const row = await tryInsertDomain(tx, {
      appId: app.id,
      pattern: parsed.pattern,
      kind: parsed.kind,
      shapeKey: parsed.shapeKey,
    });
    if (!row) {
      // The holder is named only to callers who can see its app.
      const holder = await domainHolder(tx, parsed.shapeKey);
      const visible = holder !== null && effectiveAppRole(p, holder.app_id) !== null;
      throw new ApiError(
        "domain_taken",
        `The domain ${parsed.pattern} is already claimed`,
        visible
          ? { pattern: parsed.pattern, app: holder.app_slug, claim: holder.pattern }
          : { pattern: parsed.pattern },
      );
    }
    await recordChange(tx, p, {
      action: "domain.claim",
      resourceId: row.id,
      appId: app.id,
      before: null,
      after: row,
    });
    return row;
  });
  await deps.routing.notifyChanged();
  return row;
}

/** Releases one of the app's claims. */
export async function releaseDomain(
  deps: Deps,
  p: Principal,
  ref: string,
  id: string,
): Promise<void> {
  const app = await appFor(deps, p, ref, "domain.write");
  const gone = UUID_SHAPE.test(id) &&
    await deps.sql.begin(async (tx) => {
      const row = await deleteDomain(tx, { appId: app.id, id });
      if (row) {
        await recordChange(tx, p, {
          action: "domain.release",
          resourceId: id,
          appId: app.id,
          before: row,
          after: null,
        });
      }
      return row;
    });
  if (!gone) throw new ApiError("domain_not_found", `No domain ${id} in ${app.slug}`);
  await deps.routing.notifyChanged();
}

/** Parses a claim; an invalid one is 400 `invalid_domain` with the pattern as given. */
function parseClaim(pattern: string) {
  try {
    return parseDomainPattern(pattern);
  } catch (err) {
    if (!(err instanceof DomainPatternError)) throw err;
    throw new ApiError("invalid_domain", err.message, { pattern });
  }
}

/**
 * A claim covering a console host would put tenant code on the console's origin; one spanning a
 * public suffix would capture other owners' domains: both are 409 `domain_reserved`.
 */
async function refuseReserved(
  parsed: DomainPattern,
  consoleHosts: readonly string[],
): Promise<void> {
  const reserved = await reservationOf(parsed, consoleHosts);
  if (!reserved) return;
  throw new ApiError(
    "domain_reserved",
    reserved.reason === "console_host"
      ? `The domain ${parsed.pattern} covers the console host ${reserved.name}`
      : `The domain ${parsed.pattern} spans the whole public suffix ${reserved.name}`,
    { pattern: parsed.pattern, reason: reserved.reason, reserved: reserved.name },
  );
}
