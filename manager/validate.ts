/**
 * @module Request validation at the edge: zod schemas → typed data or a 400 with field paths, and
 * the input rules every endpoint shares (no NUL, no lone surrogates, no malformed URL escapes,
 * dates PostgreSQL can store).
 */
import type { Context, MiddlewareHandler } from "hono";
import { z } from "zod";
import { ApiError } from "../common/errors.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** One refused input: where (field path) and why. */
export interface InputIssue {
  path: string[];
  message: string;
}

/** Most issues reported at once (a body with 10 000 bad strings gets the first few). */
const MAX_ISSUES = 20;

/**
 * Why a string cannot be accepted anywhere, or null: NUL (PostgreSQL text cannot hold it) and
 * lone UTF-16 surrogates (not encodable as UTF-8: they would be silently replaced on the way to
 * the database, storing text the client never sent).
 */
export function badText(s: string): string | null {
  if (s.includes("\u0000")) return "Contains a NUL character";
  if (!s.isWellFormed()) return "Contains a lone surrogate (invalid Unicode)";
  return null;
}

/** Why a string cannot be a name, slug, id or email, or null: no control characters at all. */
export function badLine(s: string): string | null {
  // deno-lint-ignore no-control-regex
  return badText(s) ?? (/[\u0000-\u001f\u007f]/.test(s) ? "Contains a control character" : null);
}

/**
 * Every string (object keys included) in a decoded JSON value or query map that `badText`
 * refuses, with its path. Iterative, so deeply nested input cannot overflow the stack.
 */
export function textIssues(raw: unknown): InputIssue[] {
  const issues: InputIssue[] = [];
  const stack: [unknown, string[]][] = [[raw, []]];
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const [v, path] = stack.pop()!;
    if (typeof v === "string") {
      const why = badText(v);
      if (why) issues.push({ path, message: why });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], [...path, String(i)]]);
    } else if (v !== null && typeof v === "object" && !(v instanceof Date)) {
      for (const [k, x] of Object.entries(v)) {
        const why = badText(k);
        if (why) issues.push({ path: [...path, k.replace(/\0/g, "\\u0000")], message: why });
        stack.push([x, [...path, k]]);
      }
    }
  }
  return issues;
}

function invalid(message: string, issues: InputIssue[]): ApiError {
  return new ApiError("invalid_request", message, { issues });
}

/**
 * Reads and validates a JSON body. Invalid UTF-8 (which a lenient decoder would silently replace,
 * storing data the client never sent), malformed JSON, NUL and lone surrogates (escaped as
 * `\u0000` / `\ud800` in valid JSON) and schema failures are 400 `invalid_request`.
 */
export async function jsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  let text: string;
  try {
    text = utf8.decode(await c.req.arrayBuffer());
  } catch (err) {
    if (err instanceof ApiError) throw err; // e.g. 413 from the body limit
    throw new ApiError("invalid_request", "The request body is not valid UTF-8");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ApiError("invalid_request", "The request body is not valid JSON");
  }
  return parseInput(schema, raw);
}

/**
 * Validates any input value (a decoded body, a query map, path parameters) against a schema,
 * after the shared text rules; dates in the result must be ones PostgreSQL can store.
 */
export function parseInput<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const bad = textIssues(raw);
  if (bad.length > 0) throw invalid("The request contains text that cannot be stored", bad);
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw invalid(
      "The request is invalid",
      result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
    );
  }
  const dates = dateIssues(result.data);
  if (dates.length > 0) throw invalid("The request is invalid", dates);
  return result.data;
}

/** First instant of year 1 and last of year 9999 (UTC), inside PostgreSQL's timestamp range. */
const MIN_TIME_MS = Date.parse("0001-01-01T00:00:00.000Z");
const MAX_TIME_MS = Date.parse("9999-12-31T23:59:59.999Z");

/** Whether a `Date` is valid and inside years 1 to 9999. */
export function storableDate(d: Date): boolean {
  const t = d.getTime();
  return Number.isFinite(t) && t >= MIN_TIME_MS && t <= MAX_TIME_MS;
}

function dateIssues(data: unknown): InputIssue[] {
  if (data instanceof Date) {
    return storableDate(data) ? [] : [{ path: [], message: "Use a date in years 1 to 9999" }];
  }
  if (data === null || typeof data !== "object") return [];
  const out: InputIssue[] = [];
  for (const [k, v] of Object.entries(data)) {
    if (v instanceof Date && !storableDate(v)) {
      out.push({ path: [k], message: "Use a date in years 1 to 9999" });
    }
  }
  return out;
}

/** An ISO 8601 timestamp with offset, in years 1 to 9999 (a real calendar date). */
export const isoDateTime = z.iso.datetime({ offset: true }).refine(
  (s) => storableDate(new Date(s)),
  "Use a date in years 1 to 9999",
);

/** A single-line text field (names, titles): no control characters, NUL or lone surrogates. */
export function lineText(opts: { minChars?: number; maxChars: number; trim?: boolean }) {
  return (opts.trim ? z.string().trim() : z.string()).min(opts.minChars ?? 0).max(opts.maxChars)
    .refine(
      (s) => badLine(s) === null,
      "Must not contain control characters",
    );
}

/**
 * Middleware for every control-plane route: the URL path and query must decode to valid UTF-8
 * without NUL or other control characters, so path and query parameters (ids, slugs, dates,
 * filters) never reach a handler or the database as text PostgreSQL refuses. 400
 * `invalid_request` naming the part.
 */
export function urlGuard(): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const issues: InputIssue[] = [];
    for (const seg of url.pathname.split("/")) {
      const why = badUrlPart(seg);
      if (why) issues.push({ path: ["path"], message: why });
    }
    if (url.search.length > 1) {
      for (const pair of url.search.slice(1).split("&")) {
        const eq = pair.indexOf("=");
        const name = eq === -1 ? pair : pair.slice(0, eq);
        for (const part of eq === -1 ? [name] : [name, pair.slice(eq + 1)]) {
          const why = badUrlPart(part.replaceAll("+", " "));
          if (why) issues.push({ path: ["query", safeName(name)], message: why });
        }
      }
    }
    if (issues.length > 0) {
      throw invalid("The URL contains characters that cannot be accepted", issues.slice(0, 5));
    }
    await next();
  };
}

function badUrlPart(part: string): string | null {
  if (!part.includes("%")) return badLine(part);
  let decoded: string;
  try {
    decoded = decodeURIComponent(part);
  } catch {
    return "Malformed percent-encoding or invalid UTF-8";
  }
  return badLine(decoded);
}

function safeName(name: string): string {
  try {
    // deno-lint-ignore no-control-regex
    return decodeURIComponent(name).replace(/[\u0000-\u001f\u007f]/g, "?");
  } catch {
    return name;
  }
}
