/**
 * @module `/api/v1/admin/apps/{id_or_slug}/domains`: list, claim and release an app's domain
 * patterns. A claim is one `INSERT … ON CONFLICT (shape_key) DO NOTHING RETURNING`, so two apps
 * claiming equivalent patterns at once get exactly one 201 and one 409 `domain_taken`.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import {
  type DomainPattern,
  DomainPatternError,
  parseDomainPattern,
} from "../../orchestrator/domain_pattern.ts";
import { reservationOf } from "../../orchestrator/reserved_domains.ts";
import { resolveApp } from "../apps/resolve.ts";
import { actorOf, writeAudit } from "../audit/repo.ts";
import type { AuthEnv } from "../authn.ts";
import { effectiveAppRole } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import type { EndpointDoc } from "../openapi_types.ts";
import { jsonBody } from "../validate.ts";
import { deleteDomain, domainHolder, listDomains, tryInsertDomain } from "./repo.ts";

/** `POST …/domains`: an exact host, `*.example.com`, or `{tenant}.example.com`. */
export const claimDomainBody = z.strictObject({
  pattern: z.string().min(1).max(300).describe(
    "Exact host, `*.example.com` or `{name}.example.com`; lower-cased, IDNA-encoded, no port",
  ),
});

/** A domain claim as returned. */
export const domainSchema = z.object({
  id: z.uuid(),
  app_id: z.uuid(),
  pattern: z.string().describe("Normalised: lower case, IDNA (punycode), no trailing dot"),
  kind: z.enum(["exact", "wildcard", "param"]),
  created_at: z.iso.datetime({ offset: true }),
}).meta({ id: "Domain" });

const uuid = z.uuid();

/** Binds `/:app/domains` under the apps router. */
export function bindDomainsApi(deps: ManagerDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();

  api.get("/:app/domains", async (c) => {
    const { app } = await resolveApp(deps, c, "domain.read");
    return c.json({ items: await listDomains(deps.sql, app.id) });
  });

  api.post("/:app/domains", async (c) => {
    const { app, p } = await resolveApp(deps, c, "domain.write");
    const input = await jsonBody(c, claimDomainBody);
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
      await writeAudit(tx, {
        ...actorOf(p),
        action: "domain.claim",
        resourceType: "domain",
        resourceId: row.id,
        appId: app.id,
        before: null,
        after: row,
      });
      return row;
    });
    await deps.routing.notifyChanged();
    return c.json(row, 201);
  });

  api.delete("/:app/domains/:id", async (c) => {
    const { app, p } = await resolveApp(deps, c, "domain.write");
    const id = c.req.param("id");
    const gone = uuid.safeParse(id).success &&
      await deps.sql.begin(async (tx) => {
        const row = await deleteDomain(tx, { appId: app.id, id });
        if (row) {
          await writeAudit(tx, {
            ...actorOf(p),
            action: "domain.release",
            resourceType: "domain",
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
    return c.body(null, 204);
  });

  return api;
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

const base = "/api/v1/admin/apps/{id_or_slug}/domains";
const appParams = z.object({ id_or_slug: z.string().describe("The app's id or slug") });
const unauthorized = { description: "Not signed in (`unauthorized`)" };
const forbidden = { description: "The caller's role is too low (`forbidden`)" };

/** The endpoints of this router. */
export const domainsDocs: EndpointDoc[] = [
  {
    method: "get",
    path: base,
    summary: "List the app's domain claims",
    action: "domain.read",
    tag: "domains",
    params: appParams,
    responses: {
      200: { description: "The claims", schema: z.object({ items: z.array(domainSchema) }) },
      401: unauthorized,
      404: { description: "`app_not_found`" },
    },
  },
  {
    method: "post",
    path: base,
    summary: "Claim a domain pattern; routing picks it up at once",
    action: "domain.write",
    tag: "domains",
    params: appParams,
    body: claimDomainBody,
    responses: {
      201: { description: "The claim", schema: domainSchema },
      400: { description: "`invalid_request` or `invalid_domain` (e.g. a port or a bad label)" },
      401: unauthorized,
      403: forbidden,
      404: { description: "`app_not_found`" },
      409: {
        description: "`domain_taken`: an equivalent pattern is claimed; `details.app` names the " +
          "holder only when the caller can see that app. `domain_reserved`: the pattern covers a " +
          "console host or spans a whole public suffix (`*.com`, `{x}.co.uk`)",
      },
    },
  },
  {
    method: "delete",
    path: `${base}/{id}`,
    summary: "Release a domain claim",
    action: "domain.write",
    tag: "domains",
    params: appParams.extend({ id: z.uuid() }),
    responses: {
      204: { description: "Released" },
      401: unauthorized,
      403: forbidden,
      404: { description: "`app_not_found` or `domain_not_found`" },
    },
  },
];
