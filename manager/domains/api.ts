/**
 * @module `/api/v1/admin/apps/{id_or_slug}/domains`: list, claim and release an app's domain
 * patterns — parse, call the domains service, respond.
 */
import { z } from "zod";
import type { ManagerDeps } from "../deps.ts";
import type { Routes } from "../endpoint.ts";
import { claimDomain, listDomains, releaseDomain } from "./service.ts";

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

const appParams = z.object({ id_or_slug: z.string().describe("The app's id or slug") });
// Any text: an id that is not a UUID names no claim (404, as for an unknown one).
const claimParams = appParams.extend({ id: z.string().meta({ format: "uuid" }) });

/** Binds `/{id_or_slug}/domains` under the apps router. */
export function bindDomainsApi(r: Routes, deps: ManagerDeps): void {
  r.add({
    method: "get",
    path: "/{id_or_slug}/domains",
    summary: "List the app's domain claims",
    action: "domain.read",
    tag: "domains",
    params: appParams,
    responses: {
      200: { description: "The claims", schema: z.object({ items: z.array(domainSchema) }) },
    },
  }, async ({ p, params }, c) => c.json({ items: await listDomains(deps, p, params.id_or_slug) }));

  r.add(
    {
      method: "post",
      path: "/{id_or_slug}/domains",
      summary: "Claim a domain pattern; routing picks it up at once",
      action: "domain.write",
      tag: "domains",
      params: appParams,
      body: claimDomainBody,
      responses: {
        201: { description: "The claim", schema: domainSchema },
        400: { description: "`invalid_request` or `invalid_domain` (e.g. a port or a bad label)" },
        409: {
          description:
            "`domain_taken`: an equivalent pattern is claimed; `details.app` names the " +
            "holder only when the caller can see that app. `domain_reserved`: the pattern covers a " +
            "console host or spans a whole public suffix (`*.com`, `{x}.co.uk`)",
        },
      },
    },
    async ({ p, params, body }, c) =>
      c.json(await claimDomain(deps, p, params.id_or_slug, body), 201),
  );

  r.add({
    method: "delete",
    path: "/{id_or_slug}/domains/{id}",
    summary: "Release a domain claim",
    action: "domain.write",
    tag: "domains",
    params: claimParams,
    responses: {
      204: { description: "Released" },
      404: { description: "`app_not_found` or `domain_not_found`" },
    },
  }, async ({ p, params }, c) => {
    await releaseDomain(deps, p, params.id_or_slug, params.id);
    return c.body(null, 204);
  });
}
