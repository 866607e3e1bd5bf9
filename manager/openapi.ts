/**
 * @module Builds the OpenAPI 3.1 document from the `EndpointDoc`s every `api.ts` exports, turning
 * their zod schemas into JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) with zod itself.
 */
import { z } from "zod";
import { ACTIONS, possibleRefusals } from "./authz.ts";
import type { EndpointDoc } from "./openapi_types.ts";
import type { Action } from "./authz.ts";

/** A JSON Schema or any other JSON object of the document. */
export type JsonObject = Record<string, unknown>;

/** One operation of the document. */
export interface OpenApiOperation {
  operationId: string;
  summary: string;
  tags: string[];
  "x-picloud-action": EndpointDoc["action"];
  /** Who may call it, in words (derived from the action table). */
  "x-picloud-access": string;
  security?: Record<string, string[]>[];
  parameters?: OpenApiParameter[];
  requestBody?: { required: true; content: Record<string, { schema: JsonObject }> };
  responses: Record<string, OpenApiResponse>;
}

/** A path or query parameter. */
export interface OpenApiParameter {
  name: string;
  in: "path" | "query";
  required: boolean;
  description?: string;
  schema: JsonObject;
}

/** One response of an operation. */
export interface OpenApiResponse {
  description: string;
  headers?: Record<string, { description: string; schema: JsonObject }>;
  content?: Record<string, { schema: JsonObject }>;
}

/** The document, typed as far as the reference page reads it. */
export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description?: string };
  servers: { url: string; description: string }[];
  jsonSchemaDialect: string;
  tags: { name: string; description: string }[];
  paths: Record<string, Partial<Record<EndpointDoc["method"], OpenApiOperation>>>;
  components: {
    schemas: Record<string, JsonObject>;
    securitySchemes: Record<string, JsonObject>;
  };
}

/** The one error shape of every 4xx and 5xx response. */
export const errorSchema = z.object({
  error: z.looseObject({
    code: z.string().describe("Stable, machine-readable code, e.g. `app_not_found`"),
    message: z.string().describe("Human-readable; may change"),
    details: z.record(z.string(), z.unknown()).optional()
      .describe("Field paths of invalid input, the limit that was hit, and similar"),
  }),
}).meta({ id: "Error", description: "`{ error: { code, message, details? } }`" });

const METHOD_ORDER: EndpointDoc["method"][] = ["get", "post", "put", "patch", "delete"];

/** Builds the document; the output depends only on the docs (paths and tags sorted). */
export function buildOpenApiDocument(
  docs: EndpointDoc[],
  info: { title: string; version: string; description?: string },
): OpenApiDocument {
  const schemas: Record<string, JsonObject> = {};
  const errorRef = toJsonSchema(errorSchema, "output", schemas);
  const paths: OpenApiDocument["paths"] = {};
  const sorted = [...docs].sort((a, b) =>
    compare(a.path, b.path) ||
    METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method)
  );
  for (const doc of sorted) {
    const item = paths[doc.path] ??= {};
    if (item[doc.method]) throw new Error(`Documented twice: ${doc.method} ${doc.path}`);
    item[doc.method] = operationOf(doc, { schemas, errorRef });
  }
  const tags = [...new Set(sorted.map((d) => d.tag))].sort(compare).map((name) => {
    const description = TAGS[name];
    if (!description) throw new Error(`Tag without a description: ${name}`);
    return { name, description };
  });
  return {
    openapi: "3.1.0",
    info,
    // Relative: the document is served by the instance it describes, whatever its address.
    servers: [{ url: "/", description: "This PiCloud instance" }],
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    tags,
    paths,
    components: { schemas: sortKeys(schemas), securitySchemes: SECURITY_SCHEMES },
  };
}

/** What each group of endpoints is about (every tag an endpoint uses must be here). */
const TAGS: Record<string, string> = {
  "api-keys": "The caller's own API keys (`pc_…`), optionally narrowed to one app or read-only",
  apps: "Apps: the unit of isolation, ownership and routing; renamed apps keep redirecting",
  audit: "Who changed what: the instance's and each app's audit trail",
  domains: "Host names an app claims (exact or wildcard) for its routes",
  execute: "Run a script's current version directly, as its route would",
  logs: "Execution logs of an app's scripts: listing, filters and a live tail",
  members: "Who may do what in an app: viewer, editor or admin",
  meta: "Liveness and this reference",
  routes: "Host, path and method patterns that send requests to a script",
  schedules: "Cron triggers of an app's scripts and their runs",
  system: "The running platform, for instance admins: versions, database, executors",
  scripts: "Scripts, their versions (deploy, activate), variables, secrets and limits",
  sessions: "Signing in and out, the current caller, device tokens",
  setup: "First run: creating the owner with the one-time setup token",
  users: "The instance's users and their instance roles",
};

const SECURITY_SCHEMES: Record<string, JsonObject> = {
  bearer: {
    type: "http",
    scheme: "bearer",
    description: "A session token from `POST /api/v1/admin/login`, or an API key (`pc_…`)",
  },
  cookie: {
    type: "apiKey",
    in: "cookie",
    name: "picloud_session",
    description: "The session cookie set by login; unsafe methods must be same-origin",
  },
};

/** A stable operation id: the method and the path after `/api/v1`, e.g. `post_admin_apps`. */
export function operationIdOf(doc: Pick<EndpointDoc, "method" | "path">): string {
  const rest = doc.path.replace(/^\/api\/v1/, "").replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return rest === "" ? doc.method : `${doc.method}_${rest}`;
}

/** Who may call an endpoint, in words. */
export function accessOf(action: EndpointDoc["action"]): string {
  if (action === "public") return "Anyone";
  if (action === "setup_token") return "Anyone holding the one-time setup token";
  if (action === "api_key.manage") return "Any signed-in user, with a session (not an API key)";
  const rule = ACTIONS[action];
  const reads = rule.write ? "" : "; read-only API keys allowed";
  if (rule.scope === "self") return `Any signed-in user${reads}`;
  if (rule.scope === "instance") return `Instance ${rule.min} or above${reads}`;
  return `App ${rule.min} or above (instance admins act as app admins)${reads}`;
}

function operationOf(
  doc: EndpointDoc,
  ctx: { schemas: Record<string, JsonObject>; errorRef: JsonObject },
): OpenApiOperation {
  const isPublic = doc.action === "public" || doc.action === "setup_token";
  const op: OpenApiOperation = {
    operationId: operationIdOf(doc),
    summary: doc.summary,
    tags: [doc.tag],
    "x-picloud-action": doc.action,
    "x-picloud-access": [
      accessOf(doc.action),
      ...(doc.actions ?? []).map((a) => `for ${a}: ${accessOf(a)}`),
    ].join("; "),
    security: isPublic ? [] : [{ bearer: [] }, { cookie: [] }],
    responses: {},
  };
  const parameters = [
    ...pathParameters(doc, ctx.schemas),
    ...objectParameters(doc.query, "query", ctx.schemas),
  ];
  if (parameters.length > 0) op.parameters = parameters;
  if (doc.body) {
    const schema = toJsonSchema(doc.body, "input", ctx.schemas);
    const content: Record<string, { schema: JsonObject }> = { "application/json": { schema } };
    for (const [media, { schema }] of Object.entries(doc.bodyMedia ?? {})) {
      content[media] = { schema };
    }
    op.requestBody = { required: true, content };
  }
  const responses = responsesOf(doc);
  const out: OpenApiOperation["responses"] = {};
  for (const status of Object.keys(responses).map(Number).sort((a, b) => a - b)) {
    const r = responses[status];
    const schema = r.schema
      ? toJsonSchema(r.schema, "output", ctx.schemas)
      : status >= 400
      ? ctx.errorRef
      : undefined;
    const o: OpenApiResponse = { description: r.description };
    const headers = { ...IMPLIED_HEADERS[status], ...r.headers };
    if (Object.keys(headers).length > 0) {
      o.headers = Object.fromEntries(
        Object.entries(headers).map(([name, description]) => [
          name,
          { description, schema: { type: "string" } },
        ]),
      );
    }
    if (schema) o.content = { "application/json": { schema } };
    if (r.media) o.content = { [r.media]: { schema: { type: "string", format: "binary" } } };
    out[String(status)] = o;
  }
  // Responses last, after the request side, as readers expect.
  const { responses: _, ...head } = op;
  return { ...head, responses: out };
}

/**
 * Every response an endpoint can answer: its declared ones, plus those the rest of its declaration
 * implies (400 for the URL and input, 413 for a body, 401/403/404 from its actions, 308 for
 * paths under an app that can be reached through an old slug).
 */
export function responsesOf(doc: EndpointDoc): EndpointDoc["responses"] {
  const isPublic = doc.action === "public" || doc.action === "setup_token";
  const responses: EndpointDoc["responses"] = { ...doc.responses };
  // Every validated input can fail validation, and every non-public endpoint can be refused.
  // Every path and query is checked (valid UTF-8, no control characters) before anything else.
  responses[400] ??= {
    description: doc.body || doc.query || doc.params
      ? "`invalid_request`: the input failed validation"
      : "`invalid_request`: the URL contains characters that cannot be accepted",
  };
  // Bodies are counted while they are read, before anything else is done with them.
  if (doc.body && !responses[413]) {
    responses[413] = {
      description: "`body_too_large`: over 64 KiB before the caller is known, 12 MiB after",
    };
  }
  if (!isPublic) {
    for (const a of [doc.action as Action, ...doc.actions ?? []]) addRefusals(a, responses);
  }
  if (/^\/api\/v1\/admin\/apps\/\{[a-z_]+\}/.test(doc.path) && !responses[308]) {
    responses[308] = {
      description: "An old slug of the app: the same path under its current slug",
    };
  }
  return responses;
}

/** Headers a status always comes with. */
const IMPLIED_HEADERS: Record<number, Record<string, string>> = {
  308: { Location: "Where the resource is now" },
  405: { Allow: "The methods the path answers" },
  429: { "Retry-After": "Seconds to wait before trying again" },
  503: { "Retry-After": "Seconds to wait before trying again" },
};

/** 401, 403 and the hidden app's 404, as far as the action can answer them. */
function addRefusals(action: Action, responses: EndpointDoc["responses"]): void {
  const refusals = possibleRefusals(action);
  responses[401] ??= { description: "`unauthorized`: no valid session or API key" };
  const why = [
    refusals.has("forbidden") ? "`forbidden`: the caller's role is too low" : "",
    refusals.has("session_required") ? "`session_required`: API keys cannot do this" : "",
  ].filter(Boolean);
  if (why.length > 0) responses[403] ??= { description: why.join("; ") };
  if (refusals.has("hidden")) {
    responses[404] ??= {
      description: "`app_not_found`: no such app, or not visible to the caller",
    };
  }
}

/** Path parameters in template order; ones the doc does not describe are plain strings. */
function pathParameters(doc: EndpointDoc, schemas: Record<string, JsonObject>) {
  const described = objectParameters(doc.params, "path", schemas);
  const names = [...doc.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  return names.map((name) =>
    described.find((p) => p.name === name) ??
      { name, in: "path" as const, required: true, schema: { type: "string" } }
  );
}

function objectParameters(
  obj: z.ZodObject | undefined,
  where: "path" | "query",
  schemas: Record<string, JsonObject>,
): OpenApiParameter[] {
  if (!obj) return [];
  const json = toJsonSchema(obj, "input", schemas);
  const props = (json.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(props).map(([name, schema]) => {
    const { description, ...rest } = schema;
    const p: OpenApiParameter = {
      name,
      in: where,
      required: where === "path" || required.has(name),
      schema: rest,
    };
    if (typeof description === "string") p.description = description;
    return p;
  });
}

/**
 * Converts a zod schema; schemas with a `meta({ id })` become shared components (`$defs` are
 * hoisted into `components.schemas` and their references rewritten).
 */
export function toJsonSchema(
  schema: z.ZodType,
  io: "input" | "output",
  schemas: Record<string, JsonObject>,
): JsonObject {
  const json = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
  }) as JsonObject;
  delete json.$schema;
  const defs = (json.$defs ?? {}) as Record<string, JsonObject>;
  delete json.$defs;
  const names = new Map(Object.keys(defs).map((id) => [id, id]));
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v === null || typeof v !== "object") return v;
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      const def = k === "$ref" && typeof x === "string" ? /^#\/\$defs\/(.+)$/.exec(x) : null;
      out[k] = def ? `#/components/schemas/${names.get(def[1]) ?? def[1]}` : rewrite(x);
    }
    return out;
  };
  for (const [id, def] of Object.entries(defs)) {
    names.set(id, componentName(id, JSON.stringify(rewrite(def)), io, schemas));
  }
  for (const [id, def] of Object.entries(defs)) {
    schemas[names.get(id)!] = rewrite(def) as JsonObject;
  }
  return rewrite(json) as JsonObject;
}

/** The id, unless a different schema already took it (e.g. the input side of an output shape). */
function componentName(
  id: string,
  json: string,
  io: "input" | "output",
  schemas: Record<string, JsonObject>,
): string {
  for (const name of [id, `${id}${io === "input" ? "Input" : "Output"}`]) {
    const taken = schemas[name];
    if (taken === undefined || JSON.stringify(taken) === json) return name;
  }
  throw new Error(`Two different schemas share the id ${id}`);
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => compare(a, b)));
}

/** Code-unit order, independent of the locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
