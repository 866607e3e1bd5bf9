/** @module The description of one endpoint, kept beside its handler and collected into the OpenAPI document. */
import type { z } from "zod";
import type { Action } from "./authz.ts";

/** One documented endpoint; every `api.ts` exports an array of these for its routes. */
export interface EndpointDoc {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** OpenAPI path, e.g. `/api/v1/admin/apps/{id_or_slug}`. */
  path: string;
  summary: string;
  /** The authorization action the endpoint declares, or `public` / `setup_token`. */
  action: Action | "public" | "setup_token";
  /**
   * Further actions the endpoint checks for some inputs (e.g. the audit trail: `audit.read`
   * instance-wide, `audit.read_app` for one app); `action` is the one without them.
   */
  actions?: Action[];
  /** Groups endpoints in the reference (e.g. `apps`). */
  tag: string;
  /** Path parameters (all strings). */
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** The JSON request body schema (the same zod schema the handler validates with). */
  body?: z.ZodType;
  /**
   * Further media types the body may come in (a raw file, a form): each is read into a value
   * that `body` then validates, so every form of the body meets the same rules.
   */
  bodyMedia?: Record<string, BodyMedia>;
  /**
   * Status → description, optional JSON schema of the body and the headers sent with it. 400,
   * 401, 403, 404 (app hidden), 413, 308 (old app slugs), `Retry-After` on 429/503 and `Allow` on
   * 405 are declared from the rest of the declaration when not given.
   */
  responses: Record<
    number,
    {
      description: string;
      schema?: z.ZodType;
      headers?: Record<string, string>;
      /** A body that is not JSON: its media type (documented as a binary string). */
      media?: string;
    }
  >;
}

/** One further media type of a request body: its documented schema and its reader. */
export interface BodyMedia {
  /** The OpenAPI schema of this form of the body. */
  schema: Record<string, unknown>;
  /** Reads the request's body into the JSON-shaped value the endpoint's `body` validates. */
  read(req: Request): Promise<unknown>;
}
