/**
 * @module Endpoints declared once: `Routes.add(spec, handler)` registers a route on its Hono
 * router, validates its path parameters, query and JSON body with the spec's zod schemas, checks
 * the spec's action before any input is read, and records the same spec for the OpenAPI document
 * and the authorization matrix — so the action, the schemas and the documentation cannot drift.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import type { AuthEnv } from "./authn.ts";
import { principalOf } from "./authn.ts";
import { assertMayAttempt, type Principal } from "./authz.ts";
import { ApiError } from "../common/errors.ts";
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
  /**
   * The last path parameter is the rest of the path, `/` included (a pass-through to user code):
   * it is routed as Hono's `*` and not validated; the handler reads it from the URL.
   */
  restOfPath?: boolean;
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
    const { restOfPath, ...declaration } = spec;
    const doc = { ...declaration, path: this.base + spec.path } as EndpointDoc;
    if (this.declared.some((d) => d.method === doc.method && d.path === doc.path)) {
      throw new Error(`Declared twice: ${doc.method} ${doc.path}`);
    }
    this.declared.push(doc);
    const { action } = spec;
    const names = paramNames(spec.path);
    const last = names.at(-1);
    const rest = restOfPath && last && !last.tail ? last.name : undefined;
    const params = rest ? spec.params?.omit({ [rest]: true } as never) : spec.params;
    const pattern = honoPath(spec.path, { params: spec.params, restOfPath });
    this.hono.on(doc.method.toUpperCase(), pattern, async (c) => {
      const p = principalOf(c);
      if (action !== "public" && action !== "setup_token") assertMayAttempt(p, action);
      const input = {
        params: params ? parseInput(params, withoutTails(c.req.param(), names)) : undefined,
        query: spec.query ? parseInput(spec.query, c.req.query()) : undefined,
        body: spec.body ? await bodyOf(c, spec.body, spec.bodyMedia) : undefined,
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

/** The body in its declared media type (JSON unless `bodyMedia` names the request's type). */
async function bodyOf<T extends z.ZodType>(
  c: Context,
  schema: T,
  media: EndpointDoc["bodyMedia"],
): Promise<z.output<T>> {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const reader = media?.[type];
  if (!reader) return await jsonBody(c, schema);
  let raw: unknown;
  try {
    raw = await reader.read(c.req.raw);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError("invalid_request", `The ${type} body cannot be read: ${errorText(err)}`);
  }
  return parseInput(schema, raw);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The parameters of an OpenAPI path, each with the literal text after it in its segment. */
function paramNames(path: string): { name: string; tail: string }[] {
  return [...path.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}([^/]*)/g)].map((m) => ({
    name: m[1],
    tail: m[2],
  }));
}

/** Hono's value of `{n}:activate` holds the literal tail (`5:activate`): the parameter is `5`. */
function withoutTails(
  raw: Record<string, string>,
  names: { name: string; tail: string }[],
): Record<string, string> {
  const out = { ...raw };
  for (const { name, tail } of names) {
    if (tail && out[name]?.endsWith(tail)) out[name] = out[name].slice(0, -tail.length);
  }
  return out;
}

function isInteger(schema: z.ZodType | undefined): boolean {
  if (!schema) return false;
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  return (json as { type?: unknown }).type === "integer";
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
}

/**
 * The Hono pattern of an OpenAPI path: `{name}` → `:name`, digits only when `params` declares it
 * an integer (`/versions/x` is no route, as a mistyped path); a parameter followed by literal text
 * in its segment (`{n}:activate`) takes the segment with that text; with `restOfPath` the last
 * parameter is `*`; a segment with a literal colon (`slug:check`) becomes a parameter matching
 * exactly that text.
 */
export function honoPath(
  path: string,
  opts: { params?: z.ZodObject; restOfPath?: boolean } = {},
): string {
  if (path === "") return "/";
  let literal = 0;
  const segs = path.split("/");
  return segs.map((seg, i) => {
    const param = /^\{([A-Za-z_][A-Za-z0-9_]*)\}(.*)$/.exec(seg);
    if (param && opts.restOfPath && i === segs.length - 1 && !param[2]) return "*";
    if (param) {
      const [, name, tail] = param;
      const digits = isInteger(opts.params?.shape[name] as z.ZodType | undefined);
      if (!digits && !tail) return `:${name}`;
      // No `/` in the pattern itself: Hono splits the path on it.
      return `:${name}{${digits ? "[0-9]+" : "[^\\x2F]+"}${escapeRegExp(tail)}}`;
    }
    if (seg.includes(":")) {
      return `:_literal${literal++}{${escapeRegExp(seg)}}`;
    }
    return seg;
  }).join("/");
}
