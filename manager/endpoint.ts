/**
 * @module Endpoints declared once: `Routes.add(spec, handler)` registers a route on its Hono
 * router, validates its path parameters, query and JSON body with the spec's zod schemas, checks
 * the spec's action before any input is read, and records the same spec for the OpenAPI document
 * and the authorization matrix — so the action, the schemas and the documentation cannot drift.
 */
import { type Context, Hono } from "hono";
import type { z } from "zod";
import type { AuthEnv } from "./authn.ts";
import { principalOf } from "./authn.ts";
import { assertMayAttempt, type Principal } from "./authz.ts";
import type { EndpointDoc } from "./openapi_types.ts";
import { jsonBody, parseInput } from "./validate.ts";

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;

/** One endpoint: its declaration (path relative to the router's mount point). */
export type EndpointSpec<
  P extends z.ZodObject | undefined,
  Q extends z.ZodObject | undefined,
  B extends z.ZodType | undefined,
> = Omit<EndpointDoc, "path" | "params" | "query" | "body"> & {
  /** Relative to the router, OpenAPI style: `/{id_or_slug}/slug:check`; `""` for the root. */
  path: string;
  params?: P;
  query?: Q;
  body?: B;
};

/** What a handler gets: the validated input and the caller (null only for public endpoints). */
export interface EndpointInput<P, Q, B, A> {
  params: Infer<P>;
  query: Infer<Q>;
  body: Infer<B>;
  p: A extends "public" | "setup_token" ? Principal | null : Principal;
}

/**
 * A router and its mount point. Endpoints are added with `add`, sub-routers with `mount`; every
 * declaration lands in the one list shared from the root (`declared`).
 */
export class Routes {
  /** The Hono router to mount where `base` says. */
  readonly hono: Hono<AuthEnv> = new Hono<AuthEnv>();

  constructor(
    /** The full path this router is mounted at, e.g. `/api/v1/admin/apps`. */
    readonly base: string,
    /** Every endpoint declared under the root, in registration order. */
    readonly declared: EndpointDoc[] = [],
  ) {}

  /** Registers one endpoint; see the module comment. */
  add<
    P extends z.ZodObject | undefined = undefined,
    Q extends z.ZodObject | undefined = undefined,
    B extends z.ZodType | undefined = undefined,
    A extends EndpointDoc["action"] = EndpointDoc["action"],
  >(
    spec: EndpointSpec<P, Q, B> & { action: A },
    handler: (
      input: EndpointInput<P, Q, B, A>,
      c: Context<AuthEnv>,
    ) => Response | Promise<Response>,
  ): void {
    const doc: EndpointDoc = { ...spec, path: this.base + spec.path } as EndpointDoc;
    if (this.declared.some((d) => d.method === doc.method && d.path === doc.path)) {
      throw new Error(`Declared twice: ${doc.method} ${doc.path}`);
    }
    this.declared.push(doc);
    const { action } = spec;
    this.hono.on(doc.method.toUpperCase(), honoPath(spec.path), async (c) => {
      const p = principalOf(c);
      if (action !== "public" && action !== "setup_token") assertMayAttempt(p, action);
      const input = {
        params: spec.params ? parseInput(spec.params, c.req.param()) : undefined,
        query: spec.query ? parseInput(spec.query, c.req.query()) : undefined,
        body: spec.body ? await jsonBody(c, spec.body) : undefined,
        p,
      } as EndpointInput<P, Q, B, A>;
      return await handler(input, c);
    });
  }

  /** Mounts a sub-router at `path` (relative), built by `bind` with its own `Routes`. */
  mount(path: string, bind: (r: Routes) => void): Routes {
    const child = new Routes(this.base + path, this.declared);
    bind(child);
    this.hono.route(path || "/", child.hono);
    return child;
  }
}

/**
 * The Hono pattern of an OpenAPI path: `{name}` → `:name`; a segment with a literal colon
 * (`slug:check`) becomes a parameter matching exactly that text.
 */
export function honoPath(path: string): string {
  if (path === "") return "/";
  let literal = 0;
  return path.split("/").map((seg) => {
    const param = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(seg);
    if (param) return `:${param[1]}`;
    if (seg.includes(":")) {
      return `:_literal${literal++}{${seg.replace(/[.*+?^$()|[\]\\]/g, "\\$&")}}`;
    }
    return seg;
  }).join("/");
}
