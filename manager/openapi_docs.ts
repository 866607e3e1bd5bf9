/** @module Collects the `EndpointDoc`s of every router into the list the OpenAPI document is built from. */
import { z } from "zod";
import { apiKeysDocs } from "./api_keys/api.ts";
import { executeDocs } from "./execute_api.ts";
import type { EndpointDoc } from "./openapi_types.ts";
import { sessionsDocs } from "./sessions/api.ts";
import { setupDocs } from "./setup/api.ts";
import { usersDocs } from "./users/api.ts";
// ---- Routers documented by their own owners (domains, routes, scripts, schedules, logs) ----
import { scriptsDocs } from "./scripts/api.ts";
// ---- end ----

/** The endpoints `createConsoleApi` mounts itself: health and this reference. */
export const metaDocs: EndpointDoc[] = [
  {
    method: "get",
    path: "/api/v1/health",
    summary: "Liveness: the control plane answers",
    action: "public",
    tag: "meta",
    responses: { 200: { description: "Up", schema: z.object({ status: z.literal("ok") }) } },
  },
  {
    method: "get",
    path: "/api/v1/openapi.json",
    summary: "This API as an OpenAPI 3.1 document",
    action: "public",
    tag: "meta",
    responses: { 200: { description: "The document", schema: z.record(z.string(), z.unknown()) } },
  },
  {
    method: "get",
    path: "/api/v1/docs",
    summary: "This API as a human-readable HTML reference (works offline)",
    action: "public",
    tag: "meta",
    responses: { 200: { description: "An HTML page (`text/html`)" } },
  },
];

/**
 * The endpoints of the routers not yet declared through `Routes.add` (they keep a doc array
 * beside their handlers until they are).
 */
export function legacyDocs(): EndpointDoc[] {
  return [
    ...setupDocs,
    ...sessionsDocs,
    ...usersDocs,
    ...apiKeysDocs,
    ...executeDocs,
    ...scriptsDocs,
  ];
}
