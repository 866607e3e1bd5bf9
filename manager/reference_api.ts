/**
 * @module `GET /api/v1/health`, `GET /api/v1/openapi.json` and `GET /api/v1/docs`: liveness and
 * the API reference, public, declared like every other endpoint.
 */
import { z } from "zod";
import { renderDocsPage } from "./docs_page.tsx";
import type { Routes } from "./endpoint.ts";
import { buildOpenApiDocument, type OpenApiDocument } from "./openapi.ts";

/** The document's `info`. */
export const API_INFO = {
  title: "PiCloud API",
  version: "1",
  description: "The control plane of PiCloud, a self-hosted serverless platform",
};

/** Binds the three at the API's root; the document and page are built once, on first use. */
export function bindReferenceApi(r: Routes): void {
  let doc: OpenApiDocument | undefined;
  let page: string | undefined;
  // Every endpoint is declared by the time the first request arrives.
  const document = () => doc ??= buildOpenApiDocument(r.declared, API_INFO);
  r.add({
    method: "get",
    path: "/health",
    summary: "Liveness: the control plane answers",
    action: "public",
    tag: "meta",
    responses: { 200: { description: "Up", schema: z.object({ status: z.literal("ok") }) } },
  }, (_, c) => c.json({ status: "ok" }));
  r.add({
    method: "get",
    path: "/openapi.json",
    summary: "This API as an OpenAPI 3.1 document",
    action: "public",
    tag: "meta",
    responses: { 200: { description: "The document", schema: z.record(z.string(), z.unknown()) } },
  }, (_, c) => c.json(document()));
  r.add({
    method: "get",
    path: "/docs",
    summary: "This API as a human-readable HTML reference (works offline)",
    action: "public",
    tag: "meta",
    responses: { 200: { description: "An HTML page (`text/html`)" } },
  }, (_, c) => c.html(page ??= renderDocsPage(document())));
}
