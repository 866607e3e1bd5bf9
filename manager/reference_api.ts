/** @module `GET /api/v1/openapi.json` and `GET /api/v1/docs`: the API reference, public. */
import { Hono } from "hono";
import { renderDocsPage } from "./docs_page.tsx";
import { buildOpenApiDocument, type OpenApiDocument } from "./openapi.ts";
import type { EndpointDoc } from "./openapi_types.ts";

/** The document's `info`. */
export const API_INFO = {
  title: "PiCloud API",
  version: "1",
  description: "The control plane of PiCloud, a self-hosted serverless platform",
};

/** Binds `/openapi.json` and `/docs` under `/api/v1`; both are built once, on first use. */
export function bindReferenceApi(endpoints: () => EndpointDoc[]): Hono {
  const api = new Hono();
  let doc: OpenApiDocument | undefined;
  let page: string | undefined;
  const document = () => doc ??= buildOpenApiDocument(endpoints(), API_INFO);
  api.get("/openapi.json", (c) => c.json(document()));
  api.get("/docs", (c) => c.html(page ??= renderDocsPage(document())));
  return api;
}
