/** @module Request validation at the edge: zod schemas → typed data or a 400 with field paths. */
import type { Context } from "hono";
import type { z } from "zod";
import { ApiError } from "../common/errors.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads and validates a JSON body. Invalid UTF-8 (which a lenient decoder would silently replace,
 * storing data the client never sent), malformed JSON and schema failures are 400
 * `invalid_request`.
 */
export async function jsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  let text: string;
  try {
    text = utf8.decode(await c.req.arrayBuffer());
  } catch {
    throw new ApiError(400, "invalid_request", "The request body is not valid UTF-8");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ApiError(400, "invalid_request", "The request body is not valid JSON");
  }
  return parseInput(schema, raw);
}

/** Validates any input value against a schema. */
export function parseInput<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new ApiError(400, "invalid_request", "The request is invalid", {
      issues: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
    });
  }
  return result.data;
}
